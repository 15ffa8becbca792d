/**
 * The preflight's input from GitHub: the queued jobs of every repository the fleet serves,
 * read through the GitHub port (one listJobs per repository).
 */
import type { GitHub } from "../ports/github.ts";
import type { QueuedJob } from "./preflight.ts";

export async function collectQueuedJobs(github: Pick<GitHub, "listJobs">, repositories: readonly string[]): Promise<QueuedJob[]> {
  const jobs: QueuedJob[] = [];
  for (const repository of repositories) {
    for (const job of await github.listJobs(repository, "queued")) {
      jobs.push({ id: job.id, repository: job.repository, labels: [...job.labels] });
    }
  }
  return jobs;
}

/**
 * Queued jobs from a file: a JSON array of `{id, repository, labels}`, or GitHub's
 * `GET .../actions/runs/{run_id}/jobs` response (`{jobs: [{id, labels, status, ...}]}`), of
 * which only `queued` jobs count. Throws an Error naming the entry that is wrong.
 */
export function parseQueuedJobs(value: unknown, source: string): QueuedJob[] {
  const record = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  const list = Array.isArray(value) ? value : record(value) && Array.isArray(value.jobs) ? value.jobs : undefined;
  if (list === undefined) throw new Error(`${source}: expected a JSON array of jobs or {"jobs": [...]}`);
  const jobs: QueuedJob[] = [];
  list.forEach((entry: unknown, i: number) => {
    const at = `${source}: jobs[${i}]`;
    if (!record(entry)) throw new Error(`${at}: expected an object`);
    if (typeof entry.id !== "number" || !Number.isSafeInteger(entry.id)) throw new Error(`${at}.id: expected an integer`);
    if (!Array.isArray(entry.labels) || !entry.labels.every((l): l is string => typeof l === "string")) {
      throw new Error(`${at}.labels: expected an array of strings`);
    }
    if (entry.status !== undefined && entry.status !== "queued") return;
    const repository = typeof entry.repository === "string" ? entry.repository : repositoryFromUrl(entry.url) ?? "";
    jobs.push({ id: entry.id, repository, labels: entry.labels });
  });
  return jobs;
}

function repositoryFromUrl(url: unknown): string | undefined {
  if (typeof url !== "string") return undefined;
  const match = /\/repos\/([^/]+\/[^/]+)\/actions\/jobs\//.exec(url);
  return match?.[1];
}
