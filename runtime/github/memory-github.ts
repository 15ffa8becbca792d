/**
 * The GitHub port in memory: the fast double for controller unit tests. It behaves like the
 * emulator behind `createOctokitGitHub` where the port can tell (both pass
 * test/contract/github.contract.ts): 422 for bad labels, 404 for an unknown runner group, 409
 * for a runner name already taken, idempotent deletes, 422 when deleting a runner that runs a
 * job, case-insensitive variable names, jobs listed by status.
 *
 * Beyond the port it offers the levers a test needs: enqueue, start and complete jobs, bring
 * runners online, and make the next call of an operation fail.
 */
import { randomUUID } from "node:crypto";
import { mintJitConfig } from "../protocol/jit-config.ts";
import {
  GitHubError,
  type CommitStatusInput,
  type GitHub,
  type GitHubScope,
  type JitConfig,
  type JitRequest,
  type RateLimitInfo,
  type RunContext,
  type RunnerGroupInfo,
  type RunnerInfo,
  type WorkflowJob,
} from "../ports/github.ts";
import { systemClock, type Clock } from "../ports/clock.ts";

/** Labels GitHub adds to every self-hosted runner (the emulator does the same). */
const readOnlyLabels = ["self-hosted", "Linux", "X64"];

export type GitHubOperation = Exclude<keyof GitHub, "rateLimit">;

interface MemoryRunner {
  id: number;
  name: string;
  labels: string[];
  groupId: number;
  status: "online" | "offline";
  jobId: number | null;
}

interface MemoryJob extends WorkflowJob {
  context: RunContext;
}

export interface MemoryJobSpec {
  repository: string;
  labels: string[];
  event?: string;
  actor?: { login: string; type: string };
  /** Defaults to the repository itself; null models a deleted head repository. */
  headRepositoryId?: number | null;
  headBranch?: string;
  pullRequests?: number[];
}

export class MemoryGitHub implements GitHub {
  readonly calls: { operation: GitHubOperation; args: unknown[] }[] = [];
  private readonly runners = new Map<number, MemoryRunner>();
  private readonly jobs = new Map<number, MemoryJob>();
  private readonly variables = new Map<string, string>();
  private readonly statuses = new Map<string, CommitStatusInput[]>();
  private readonly repositoryIds = new Map<string, number>();
  private readonly failures = new Map<GitHubOperation, GitHubError[]>();
  private readonly runnerGroups: Set<number>;
  private nextRunnerId = 1;
  private nextJobId = 1000;
  private nextRunId = 500;
  private apiCalls = 0;

  constructor(
    readonly scope: GitHubScope = { kind: "org", org: "acme" },
    private readonly clock: Clock = systemClock,
    options: { runnerGroupIds?: number[] } = {},
  ) {
    // Repository-level runners only have the default group (1); organizations may have more.
    this.runnerGroups = new Set(scope.kind === "repo" ? [1] : (options.runnerGroupIds ?? [1]));
  }

  // ---- the port ----------------------------------------------------------------------------

  async generateJitConfig(request: JitRequest): Promise<JitConfig> {
    this.enter("generateJitConfig", request);
    if (request.labels.length < 1 || request.labels.length > 100) {
      throw new GitHubError(`labels: ${request.labels.length} given, 1-100 allowed`, 422);
    }
    const bad = request.labels.find((l) => l.length === 0 || l.length > 100 || /[\s,]/.test(l));
    if (bad !== undefined) throw new GitHubError(`invalid label ${JSON.stringify(bad)}`, 422);
    if (!this.runnerGroups.has(request.runnerGroupId)) throw new GitHubError(`runner group ${request.runnerGroupId} not found`, 404);
    if ([...this.runners.values()].some((r) => r.name.toLowerCase() === request.name.toLowerCase())) {
      throw new GitHubError(`a runner named ${request.name} already exists`, 409);
    }
    const labels = [...readOnlyLabels];
    for (const label of request.labels) if (!labels.some((l) => l.toLowerCase() === label.toLowerCase())) labels.push(label);
    const runner: MemoryRunner = { id: this.nextRunnerId++, name: request.name, labels, groupId: request.runnerGroupId, status: "offline", jobId: null };
    this.runners.set(runner.id, runner);
    const encodedJitConfig = mintJitConfig({
      agentId: runner.id,
      agentName: runner.name,
      poolId: request.runnerGroupId,
      poolName: "Default",
      serverUrl: "http://memory.invalid/_runner",
      gitHubUrl: "http://memory.invalid",
      workFolder: request.workFolder ?? "_work",
      clientId: randomUUID(),
    });
    return { runnerId: runner.id, encodedJitConfig };
  }

  async listRunners(namePrefix: string): Promise<RunnerInfo[]> {
    this.enter("listRunners", namePrefix);
    return [...this.runners.values()]
      .filter((r) => r.name.startsWith(namePrefix))
      .sort((a, b) => a.id - b.id)
      .map((r) => ({ id: r.id, name: r.name, status: r.status, busy: r.jobId !== null, labels: [...r.labels] }));
  }

  async deleteRunner(id: number): Promise<void> {
    this.enter("deleteRunner", id);
    const runner = this.runners.get(id);
    if (!runner) return;
    const job = runner.jobId === null ? undefined : this.jobs.get(runner.jobId);
    if (job?.status === "in_progress") throw new GitHubError(`runner ${runner.name} is still running a job`, 422);
    this.runners.delete(id);
  }

  async listJobs(repository: string, status: "queued" | "in_progress"): Promise<WorkflowJob[]> {
    this.enter("listJobs", repository, status);
    return [...this.jobs.values()]
      .filter((j) => j.repository.toLowerCase() === repository.toLowerCase() && j.status === status)
      .sort((a, b) => a.runId - b.runId || a.id - b.id)
      .map(({ context: _context, ...job }) => ({ ...job, labels: [...job.labels] }));
  }

  async getRunContext(repository: string, runId: number): Promise<RunContext> {
    this.enter("getRunContext", repository, runId);
    const job = this.jobsOfRun(repository, runId)[0];
    if (!job) throw new GitHubError(`run ${runId} of ${repository} not found`, 404);
    return structuredClone(job.context);
  }

  async forceCancelRun(repository: string, runId: number): Promise<void> {
    this.enter("forceCancelRun", repository, runId);
    const jobs = this.jobsOfRun(repository, runId);
    if (jobs.length === 0) throw new GitHubError(`run ${runId} of ${repository} not found`, 404);
    for (const job of jobs) if (job.status !== "completed") this.completeJob(job.id, "cancelled");
  }

  async setCommitStatus(repository: string, sha: string, status: CommitStatusInput): Promise<void> {
    this.enter("setCommitStatus", repository, sha, status);
    if (!this.jobsOf(repository).some((j) => j.context.headSha === sha)) throw new GitHubError(`no commit ${sha} in ${repository}`, 422);
    const key = `${repository.toLowerCase()}#${sha}`;
    this.statuses.set(key, [...(this.statuses.get(key) ?? []), { ...status }]);
  }

  async runnerGroup(id: number): Promise<RunnerGroupInfo | undefined> {
    this.enter("runnerGroup", id);
    if (!this.runnerGroups.has(id)) return undefined;
    if (this.scope.kind === "repo") return { id, name: "Default", visibility: "repository", allowsPublicRepositories: false };
    // Like a new organization's groups: the default one is visible to all repositories.
    return { id, name: id === 1 ? "Default" : `group-${id}`, visibility: id === 1 ? "all" : "selected", allowsPublicRepositories: false };
  }

  async getVariable(repository: string, name: string): Promise<string | undefined> {
    this.enter("getVariable", repository, name);
    return this.variables.get(this.variableKey(repository, name));
  }

  async setVariable(repository: string, name: string, value: string): Promise<void> {
    this.enter("setVariable", repository, name, value);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /^GITHUB_/i.test(name)) throw new GitHubError(`invalid variable name ${name}`, 422);
    this.variables.set(this.variableKey(repository, name), value);
  }

  rateLimit(): RateLimitInfo | undefined {
    if (this.apiCalls === 0) return undefined;
    return { limit: 5000, remaining: Math.max(0, 5000 - this.apiCalls), reset: Math.ceil(this.clock.now() / 1000) + 3600 };
  }

  // ---- levers for tests ----------------------------------------------------------------------

  /** The next call of `operation` throws `error` (queue several for several calls). */
  failNext(operation: GitHubOperation, error: GitHubError): void {
    const queue = this.failures.get(operation) ?? [];
    queue.push(error);
    this.failures.set(operation, queue);
  }

  enqueueJob(spec: MemoryJobSpec): { jobId: number; runId: number } {
    const repositoryId = this.repositoryId(spec.repository);
    const runId = this.nextRunId++;
    const job: MemoryJob = {
      id: this.nextJobId++,
      runId,
      repository: spec.repository,
      labels: [...spec.labels],
      status: "queued",
      conclusion: null,
      createdAt: new Date(this.clock.now()).toISOString(),
      startedAt: null,
      completedAt: null,
      runnerName: null,
      context: {
        runId,
        event: spec.event ?? "push",
        repositoryId,
        headRepositoryId: spec.headRepositoryId === undefined ? repositoryId : spec.headRepositoryId,
        actor: spec.actor ?? { login: "octocat", type: "User" },
        headBranch: spec.headBranch ?? "main",
        defaultBranch: "main",
        headSha: (runId * 7919).toString(16).padStart(40, "0"),
        pullRequests: spec.pullRequests ?? [],
      },
    };
    this.jobs.set(job.id, job);
    return { jobId: job.id, runId };
  }

  /** A runner takes a queued job (it must be online, idle and carry the job's labels). */
  startJob(jobId: number, runnerId: number): void {
    const job = this.jobs.get(jobId);
    const runner = this.runners.get(runnerId);
    if (!job || job.status !== "queued") throw new Error(`job ${jobId} is not queued`);
    if (!runner || runner.status !== "online" || runner.jobId !== null) throw new Error(`runner ${runnerId} is not online and idle`);
    const have = new Set(runner.labels.map((l) => l.toLowerCase()));
    if (!job.labels.every((l) => have.has(l.toLowerCase()))) throw new Error(`runner ${runnerId} lacks labels of job ${jobId}`);
    runner.jobId = job.id;
    job.status = "in_progress";
    job.startedAt = new Date(this.clock.now()).toISOString();
    job.runnerName = runner.name;
  }

  /** The job finishes; its (ephemeral) runner is removed, as GitHub does. */
  completeJob(jobId: number, conclusion: "success" | "failure" | "cancelled" = "success"): void {
    const job = this.jobs.get(jobId);
    if (!job || job.status === "completed") throw new Error(`job ${jobId} is not running or queued`);
    job.status = "completed";
    job.conclusion = conclusion;
    job.completedAt = new Date(this.clock.now()).toISOString();
    for (const runner of this.runners.values()) if (runner.jobId === jobId) this.runners.delete(runner.id);
  }

  /** The commit statuses set on `sha`, oldest first. */
  commitStatuses(repository: string, sha: string): CommitStatusInput[] {
    return structuredClone(this.statuses.get(`${repository.toLowerCase()}#${sha}`) ?? []);
  }

  /** A job as GitHub would list it now (status, conclusion, runner), or undefined. */
  job(jobId: number): WorkflowJob | undefined {
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    const { context: _context, ...view } = job;
    return structuredClone(view);
  }

  setRunnerStatus(runnerId: number, status: "online" | "offline"): void {
    const runner = this.runners.get(runnerId);
    if (!runner) throw new Error(`no runner ${runnerId}`);
    runner.status = status;
  }

  private enter(operation: GitHubOperation, ...args: unknown[]): void {
    this.apiCalls++;
    this.calls.push({ operation, args });
    const failure = this.failures.get(operation)?.shift();
    if (failure) throw failure;
  }

  private jobsOf(repository: string): MemoryJob[] {
    return [...this.jobs.values()].filter((j) => j.repository.toLowerCase() === repository.toLowerCase());
  }

  private jobsOfRun(repository: string, runId: number): MemoryJob[] {
    return this.jobsOf(repository).filter((j) => j.runId === runId);
  }

  private variableKey(repository: string, name: string): string {
    return `${repository.toLowerCase()}#${name.toUpperCase()}`;
  }

  private repositoryId(repository: string): number {
    const key = repository.toLowerCase();
    let id = this.repositoryIds.get(key);
    if (id === undefined) {
      id = 70_000 + this.repositoryIds.size + 1;
      this.repositoryIds.set(key, id);
    }
    return id;
  }
}
