/**
 * Recent workflow runs of a repository with what the mismatch check needs: their jobs (where
 * they ran) and, for pull requests, the author's association. API use is bounded: one list
 * call per repository, one jobs call per run that was not complete when last read (completed
 * runs are cached by id), one pull request call per pull request (cached).
 */
import type { FleetOctokit } from "../github/octokit-github.ts";
import { toGitHubError } from "../github/octokit-github.ts";
import type { RunFacts, RunJobFacts } from "./run-analysis.ts";

const cacheLimit = 2_000;

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.set(key, value);
  if (cache.size > cacheLimit) cache.delete(cache.keys().next().value!);
}

interface RunListing {
  id: number;
  name?: string | null;
  path: string;
  event: string;
  created_at: string;
  status: string | null;
  conclusion: string | null;
  head_branch: string | null;
  repository: { id: number; full_name: string; default_branch?: string };
  head_repository?: { id: number; full_name: string } | null;
  actor?: { login: string; type: string } | null;
  triggering_actor?: { login: string; type: string } | null;
  pull_requests: { number: number }[] | null;
}

export class RunReader {
  private readonly completedJobs = new Map<string, RunJobFacts[]>();
  private readonly associations = new Map<string, string>();
  private calls = 0;

  constructor(private readonly octokit: FleetOctokit) {}

  /** API calls made so far (for tests and the docs' budget). */
  apiCalls(): number {
    return this.calls;
  }

  async recentRuns(repository: string, limit: number): Promise<RunFacts[]> {
    const [owner = "", repo = ""] = repository.split("/");
    let runs: RunListing[];
    try {
      this.calls++;
      const { data } = await this.octokit.rest.actions.listWorkflowRunsForRepo({ owner, repo, per_page: limit });
      runs = data.workflow_runs as RunListing[];
    } catch (error) {
      throw toGitHubError(error, `list workflow runs of ${repository}`);
    }
    const facts: RunFacts[] = [];
    for (const run of runs) facts.push(await this.facts(repository, owner, repo, run));
    return facts;
  }

  private async facts(repository: string, owner: string, repo: string, run: RunListing): Promise<RunFacts> {
    const status = run.status ?? "unknown";
    const actor = run.actor ?? run.triggering_actor;
    const head = run.head_repository;
    const facts: RunFacts = {
      repository,
      runId: run.id,
      workflow: run.path ? run.path.replace(/@.*$/, "") : (run.name ?? String(run.id)),
      workflowName: run.name ?? run.path,
      event: run.event,
      createdAt: Date.parse(run.created_at),
      status,
      conclusion: run.conclusion,
      repositoryId: run.repository.id,
      headRepository: head ? { id: head.id, fullName: head.full_name } : null,
      headBranch: run.head_branch,
      actor: { login: actor?.login ?? "ghost", type: actor?.type ?? "User" },
      jobs: await this.jobs(repository, owner, repo, run.id, status === "completed"),
    };
    if (run.repository.default_branch) facts.defaultBranch = run.repository.default_branch;
    const number = run.pull_requests?.[0]?.number;
    if (run.event === "pull_request" && number !== undefined) {
      const association = await this.association(repository, owner, repo, number);
      facts.pullRequest = association === undefined ? { number } : { number, authorAssociation: association };
    }
    return facts;
  }

  private async jobs(repository: string, owner: string, repo: string, runId: number, completed: boolean): Promise<RunJobFacts[]> {
    const key = `${repository}#${runId}`;
    const cached = this.completedJobs.get(key);
    if (cached) return cached;
    let jobs: RunJobFacts[];
    try {
      this.calls++;
      const { data } = await this.octokit.rest.actions.listJobsForWorkflowRun({ owner, repo, run_id: runId, per_page: 100 });
      jobs = data.jobs.map((job) => ({
        id: job.id,
        labels: job.labels,
        status: job.status,
        conclusion: job.conclusion,
        runnerName: job.runner_name,
        createdAt: Date.parse(job.created_at),
      }));
    } catch (error) {
      throw toGitHubError(error, `list jobs of run ${runId} of ${repository}`);
    }
    if (completed) remember(this.completedJobs, key, jobs);
    return jobs;
  }

  /** The author association, or undefined when it cannot be read (the run's trust is then unknown). */
  private async association(repository: string, owner: string, repo: string, number: number): Promise<string | undefined> {
    const key = `${repository}#${number}`;
    const cached = this.associations.get(key);
    if (cached !== undefined) return cached;
    try {
      this.calls++;
      const { data } = await this.octokit.rest.pulls.get({ owner, repo, pull_number: number });
      remember(this.associations, key, data.author_association);
      return data.author_association;
    } catch {
      return undefined;
    }
  }
}
