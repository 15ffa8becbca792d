/**
 * The GitHub port: the few GitHub operations runner-fleet performs, in plain data.
 *
 * Implementations: `runtime/github/octokit-github.ts` (Octokit with App auth, retry and
 * throttling; used against api.github.com and against the emulator) and
 * `runtime/github/memory-github.ts` (a fast double). Both pass `test/contract/github.contract.ts`.
 *
 * Errors are `GitHubError`s carrying the HTTP status, so callers can tell "not found" (often
 * fine: the thing is already gone) from "try again later".
 */

/** Where runners are registered: an organization, or a single repository (user-owned repos). */
export type GitHubScope = { kind: "org"; org: string } | { kind: "repo"; owner: string; repo: string };

export interface RunnerInfo {
  id: number;
  name: string;
  status: "online" | "offline";
  busy: boolean;
  labels: string[];
}

export interface JitRequest {
  name: string;
  labels: string[];
  runnerGroupId: number;
  workFolder?: string;
}

export interface JitConfig {
  runnerId: number;
  /** Secret: whoever holds it can act as the runner. Never log it. */
  encodedJitConfig: string;
}

export type JobStatus = "queued" | "waiting" | "in_progress" | "completed";

export interface WorkflowJob {
  id: number;
  runId: number;
  /** `owner/name` */
  repository: string;
  labels: string[];
  status: JobStatus;
  conclusion: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  runnerName: string | null;
}

/** What a workflow run says about where its code came from (for the trust check). */
export interface RunContext {
  runId: number;
  event: string;
  repositoryId: number;
  /** Null when the head repository was deleted: treated like a fork. */
  headRepositoryId: number | null;
  actor: { login: string; type: string };
  headBranch: string | null;
  /** The repository's default branch (the run's `repository.default_branch`; null when GitHub leaves it out). */
  defaultBranch: string | null;
  /** The commit the run tests (for a fork's pull request, the fork's commit). */
  headSha: string;
  /** Pull request numbers the run belongs to (same-repo PRs only; GitHub omits fork PRs). */
  pullRequests: number[];
}

/** A commit status: a line on the pull request's checks, next to the workflow's jobs. */
export interface CommitStatusInput {
  state: "error" | "failure" | "pending" | "success";
  /** Identifies the status among others on the commit (`runner-fleet/trust`). */
  context: string;
  /** At most 140 characters. */
  description: string;
}

/** The runner group JIT runners join, as far as the controller's safety checks need it. */
export interface RunnerGroupInfo {
  id: number;
  name: string;
  /** `all`, `selected`, `private`, or `repository` (a repository's own default group). */
  visibility: string;
  allowsPublicRepositories: boolean;
}

export interface RateLimitInfo {
  limit: number;
  remaining: number;
  /** Epoch seconds. */
  reset: number;
}

export interface GitHub {
  generateJitConfig(request: JitRequest): Promise<JitConfig>;
  /** Runners in the scope whose name starts with `namePrefix` (all pages). */
  listRunners(namePrefix: string): Promise<RunnerInfo[]>;
  /** Deregisters a runner. Succeeds if it is already gone. */
  deleteRunner(id: number): Promise<void>;
  /** Jobs of `repository` in the given status (through its workflow runs). */
  listJobs(repository: string, status: "queued" | "in_progress"): Promise<WorkflowJob[]>;
  getRunContext(repository: string, runId: number): Promise<RunContext>;
  /**
   * Force-cancels a workflow run: its unfinished jobs end `cancelled` without waiting for their
   * runners and without running `if: always()` jobs. Succeeds if the run already completed.
   */
  forceCancelRun(repository: string, runId: number): Promise<void>;
  /** Sets a commit status on `sha` in `repository`. */
  setCommitStatus(repository: string, sha: string, status: CommitStatusInput): Promise<void>;
  /** Undefined when the variable does not exist. */
  getVariable(repository: string, name: string): Promise<string | undefined>;
  /** Creates or updates a repository Actions variable. */
  setVariable(repository: string, name: string, value: string): Promise<void>;
  /** The runner group with this id, or undefined when there is none. */
  runnerGroup(id: number): Promise<RunnerGroupInfo | undefined>;
  /** The last rate-limit headers seen, if any. */
  rateLimit(): RateLimitInfo | undefined;
}

export class GitHubError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** Seconds GitHub asked us to wait, from `retry-after` or the rate-limit reset. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "GitHubError";
  }
}
