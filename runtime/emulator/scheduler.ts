/**
 * Which idle, online runner takes which queued job: GitHub's rule, as a pure function.
 *
 * - A runner can take a job when its labels include every label of the job (compared
 *   case-insensitively) and it may serve the job's repository (repository runners serve their
 *   repository; organization runners serve it when their runner group's access allows it).
 * - One job per runner: a runner that holds a job is not idle.
 * - Jobs are served oldest first; among eligible runners the longest-registered goes first.
 */

export interface SchedulableJob {
  id: number;
  /** `owner/name` */
  repository: string;
  repositoryId: number;
  labels: readonly string[];
  createdAt: number;
}

export type RunnerAccess =
  | { kind: "repo"; repository: string }
  /** An org runner: `repositoryIds` "all" or the ids its group's visibility admits. */
  | { kind: "org"; org: string; repositoryIds: "all" | readonly number[] };

export interface SchedulableRunner {
  id: number;
  labels: readonly string[];
  online: boolean;
  busy: boolean;
  access: RunnerAccess;
}

export interface Assignment {
  jobId: number;
  runnerId: number;
}

export function labelsMatch(runnerLabels: readonly string[], jobLabels: readonly string[]): boolean {
  const have = new Set(runnerLabels.map((l) => l.toLowerCase()));
  return jobLabels.every((l) => have.has(l.toLowerCase()));
}

export function mayServe(access: RunnerAccess, job: SchedulableJob): boolean {
  if (access.kind === "repo") return access.repository.toLowerCase() === job.repository.toLowerCase();
  const owner = job.repository.split("/")[0]!.toLowerCase();
  if (owner !== access.org.toLowerCase()) return false;
  return access.repositoryIds === "all" || access.repositoryIds.includes(job.repositoryId);
}

export function assignJobs(queued: readonly SchedulableJob[], runners: readonly SchedulableRunner[]): Assignment[] {
  const free = runners.filter((r) => r.online && !r.busy).sort((a, b) => a.id - b.id);
  const taken = new Set<number>();
  const assignments: Assignment[] = [];
  const jobs = [...queued].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  for (const job of jobs) {
    const runner = free.find((r) => !taken.has(r.id) && mayServe(r.access, job) && labelsMatch(r.labels, job.labels));
    if (!runner) continue;
    taken.add(runner.id);
    assignments.push({ jobId: job.id, runnerId: runner.id });
  }
  return assignments;
}
