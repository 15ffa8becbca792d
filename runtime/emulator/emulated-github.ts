/**
 * The emulated GitHub: the in-memory state plus the operations that must change it
 * consistently: minting JIT runners, enqueueing jobs, assigning them to runners (through the
 * pure scheduler), the runner's side of a job, timeouts, and the webhooks each step sends.
 * The REST routes, the runner protocol and the admin API are thin HTTP layers over this.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../log/logger.ts";
import type { Clock } from "../ports/clock.ts";
import { mintJitConfig } from "../protocol/jit-config.ts";
import type { CompletionReport, JobMessage, StepReport } from "../protocol/runner-api.ts";
import type { FaultInjector } from "./faults.ts";
import { GitHubHttpError, invalidRequest, notFound } from "./http-error.ts";
import type { EnqueueJob } from "./job-request.ts";
import type { Urls } from "./representations/urls.ts";
import { assignJobs, type RunnerAccess, type SchedulableRunner } from "./scheduler.ts";
import { runStatus, type EmulatorState, type Job, type Repository, type Runner, type RunnerScope, type WorkflowRun } from "./state.ts";
import { workflowJobPayload, type WebhookDispatcher, type WorkflowJobAction } from "./webhooks.ts";

/** Labels GitHub adds to every self-hosted runner it registers (as in its JIT example). */
export const readOnlyLabels = ["self-hosted", "Linux", "X64"];

export interface EmulatedGitHubOptions {
  state: EmulatorState;
  clock: Clock;
  faults: FaultInjector;
  webhooks: WebhookDispatcher;
  /** Base URLs for links in webhooks and JIT configs (known once the server listens). */
  urls: () => Urls;
  runnerUrl: () => string;
  /** A runner that has not polled for this long is offline. */
  offlineAfterMs: number;
  /**
   * A runner running a job that has not been heard from (renewal, step report) for this long
   * is lost: its job fails and, being ephemeral, it is removed — GitHub's "lost communication
   * with the server", which takes GitHub some minutes to conclude.
   */
  lostAfterMs: number;
  logger?: Logger;
}

export interface JobView {
  jobId: number;
  runId: number;
  repository: string;
  name: string;
  labels: string[];
  status: Job["status"];
  conclusion: Job["conclusion"];
  runnerId: number | null;
  runnerName: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  steps: { number: number; name: string; status: string; conclusion: string | null; exitCode: number | null; log: string }[];
}

interface Waiter {
  wake: () => void;
}

export class EmulatedGitHub {
  readonly state: EmulatorState;
  private readonly waiters = new Map<number, Set<Waiter>>();
  /** sessionId -> runnerId */
  private readonly sessions = new Map<string, number>();

  constructor(private readonly options: EmulatedGitHubOptions) {
    this.state = options.state;
  }

  now(): number {
    return this.options.clock.now();
  }

  isOnline(runner: Runner): boolean {
    if (runner.sessionId === null || runner.neverConnects) return false;
    if (runner.openPolls > 0) return true;
    return runner.lastSeenAt !== null && this.now() - runner.lastSeenAt < this.options.offlineAfterMs;
  }

  runnerStatus(runner: Runner): "online" | "offline" {
    return this.isOnline(runner) ? "online" : "offline";
  }

  // ---- runners -----------------------------------------------------------------------------

  generateJitRunner(
    scope: RunnerScope,
    request: { name: string; labels: string[]; groupId: number; workFolder: string },
  ): { runner: Runner; encodedJitConfig: string } {
    const { state } = this;
    for (const label of request.labels) {
      if (label.length === 0 || label.length > 100 || /[\s,]/.test(label)) {
        throw invalidRequest(`Invalid label "${label}": labels are 1-100 characters without spaces or commas.`);
      }
    }
    if (request.name.length === 0 || request.name.length > 64) throw invalidRequest("Runner names are 1-64 characters.");
    const groupName = this.groupName(scope, request.groupId);
    if (groupName === undefined) throw notFound();
    if (state.runnersIn(scope).some((r) => r.name.toLowerCase() === request.name.toLowerCase())) {
      throw new GitHubHttpError(409, `Already exists - A runner with the name ${request.name} already exists.`);
    }
    const names = [...readOnlyLabels];
    const labels: Runner["labels"] = names.map((name) => ({ id: this.labelId(name), name, type: "read-only" as const }));
    for (const name of request.labels) {
      if (labels.some((l) => l.name.toLowerCase() === name.toLowerCase())) continue;
      labels.push({ id: this.labelId(name), name, type: "custom" });
    }
    const runner: Runner = {
      id: state.nextId("runner"),
      name: request.name,
      scope,
      groupId: request.groupId,
      labels,
      ephemeral: true,
      createdAt: this.now(),
      clientId: randomUUID(),
      jitUsed: false,
      neverConnects: this.options.faults.forNewRunner(),
      sessionId: null,
      lastSeenAt: null,
      openPolls: 0,
      os: "unknown",
      jobId: null,
    };
    state.runners.set(runner.id, runner);
    const urls = this.options.urls();
    const encodedJitConfig = mintJitConfig({
      agentId: runner.id,
      agentName: runner.name,
      poolId: request.groupId,
      poolName: groupName,
      serverUrl: this.options.runnerUrl(),
      gitHubUrl: scope.kind === "org" ? `${urls.html}/${scope.org}` : `${urls.html}/${scope.repository}`,
      workFolder: request.workFolder,
      clientId: runner.clientId,
    });
    return { runner, encodedJitConfig };
  }

  /** Deregisters a runner; GitHub refuses (422) while it runs a job. */
  deleteRunner(runner: Runner): void {
    const job = runner.jobId === null ? undefined : this.state.jobs.get(runner.jobId);
    if (job && job.status === "in_progress") {
      throw new GitHubHttpError(422, `Bad request - Runner "${runner.name}" is still running a job"`);
    }
    if (job) this.unassign(job);
    this.removeRunner(runner);
  }

  groupName(scope: RunnerScope, groupId: number): string | undefined {
    if (scope.kind === "repo") return groupId === 1 ? "Default" : undefined;
    return this.state.group(scope.org, groupId)?.name;
  }

  private labelId(name: string): number {
    // Stable ids per label name, as GitHub's label ids are per name.
    for (const r of this.state.runners.values()) {
      const found = r.labels.find((l) => l.name.toLowerCase() === name.toLowerCase());
      if (found) return found.id;
    }
    return this.state.nextId("label");
  }

  private removeRunner(runner: Runner): void {
    this.state.runners.delete(runner.id);
    if (runner.sessionId) this.sessions.delete(runner.sessionId);
    this.wake(runner.id);
  }

  // ---- jobs --------------------------------------------------------------------------------

  enqueueJob(spec: EnqueueJob): { jobId: number; runId: number } {
    const { state } = this;
    const repo = state.repository(spec.repository);
    if (!repo || !repo.installed) throw new GitHubHttpError(404, `repository ${spec.repository} is not known to the emulator`);
    const now = this.now();
    const run = spec.runId === undefined ? this.newRun(repo, spec, now) : state.runs.get(spec.runId);
    if (!run || run.repository !== repo.fullName) throw new GitHubHttpError(404, `run ${spec.runId} is not a run of ${repo.fullName}`);
    const job: Job = {
      id: state.nextId("job"),
      runId: run.id,
      repository: repo.fullName,
      name: spec.jobName ?? "build",
      labels: spec.labels,
      steps: spec.steps,
      stepResults: [],
      status: spec.waiting ? "waiting" : "queued",
      conclusion: null,
      createdAt: now,
      startedAt: null,
      completedAt: null,
      timeoutMinutes: spec.timeoutMinutes ?? 360,
      runnerId: null,
      runnerName: null,
      runnerGroupId: null,
      runnerGroupName: null,
      assignedRunnerId: null,
      runnerClock: null,
    };
    state.jobs.set(job.id, job);
    this.emit(job.status === "waiting" ? "waiting" : "queued", job);
    this.schedule();
    return { jobId: job.id, runId: run.id };
  }

  /** A new run for a job: its event, head repository and pull request. */
  private newRun(repo: Repository, spec: EnqueueJob, now: number): WorkflowRun {
    const { state } = this;
    const sender = state.ensureAccount(spec.event?.sender?.login ?? repo.owner, spec.event?.sender?.type ?? "User");
    const pr = spec.event?.pullRequest;
    const eventName = spec.event?.name ?? (pr ? "pull_request" : "push");
    const headBranch = spec.event?.headBranch ?? (pr ? `pr-${pr.number}` : repo.defaultBranch);
    let headRepository = repo.fullName;
    if (pr) {
      if (pr.headRepository === null) {
        // GitHub's schema requires a head repository; a deleted one is rendered as a ghost.
        headRepository = state.addRepository(`ghost/deleted-${state.nextId("repository")}`, {
          createdAt: now,
          installed: false,
          fork: true,
        }).fullName;
      } else if (pr.headRepository !== undefined) {
        headRepository = state.addRepository(pr.headRepository, { createdAt: now, installed: false, fork: true, private: false }).fullName;
      }
    }
    const headSha = randomUUID().replace(/-/g, "").padEnd(40, "0").slice(0, 40);
    const runNumber = [...state.runs.values()].filter((r) => r.repository === repo.fullName).length + 1;
    const run: WorkflowRun = {
      id: state.nextId("run"),
      runNumber,
      repository: repo.fullName,
      workflowName: spec.workflowName ?? "CI",
      event: {
        name: eventName,
        sender: { login: sender.login, type: sender.type === "Bot" ? "Bot" : sender.type === "Organization" ? "Organization" : "User" },
        headBranch,
        ...(pr
          ? { pullRequest: { number: pr.number, headRepository: pr.headRepository === null ? null : headRepository, authorAssociation: pr.authorAssociation } }
          : {}),
      },
      headSha,
      headRepository,
      createdAt: now,
    };
    state.runs.set(run.id, run);
    if (pr) {
      state.putPullRequest({
        number: pr.number,
        repository: repo.fullName,
        headRepository,
        headBranch,
        headSha,
        author: sender.login,
        authorAssociation: pr.authorAssociation,
        createdAt: now,
      });
    }
    return run;
  }

  approveJob(job: Job): void {
    if (job.status !== "waiting") throw new GitHubHttpError(409, `job ${job.id} is ${job.status}, not waiting`);
    job.status = "queued";
    this.emit("queued", job);
    this.schedule();
  }

  /** Cancels a job that has not completed (as a user pressing "Cancel workflow" would). */
  cancelJob(job: Job): void {
    if (job.status === "completed") throw new GitHubHttpError(409, `job ${job.id} already completed`);
    this.finishJob(job, "cancelled");
  }

  /**
   * `force-cancel`: every job of the run that has not completed ends `cancelled` now, whether or
   * not its runner answers (GitHub's plain cancel waits up to 5 minutes for the runner and lets
   * `if: always()` jobs run). 409 when the run has already completed, as on GitHub.
   */
  forceCancelRun(run: WorkflowRun): void {
    const open = this.state.jobsOfRun(run.id).filter((job) => job.status !== "completed");
    if (open.length === 0) throw new GitHubHttpError(409, "Cannot cancel a workflow run that is completed.");
    for (const job of open) this.finishJob(job, "cancelled");
  }

  jobView(job: Job): JobView {
    const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    return {
      jobId: job.id,
      runId: job.runId,
      repository: job.repository,
      name: job.name,
      labels: job.labels,
      status: job.status,
      conclusion: job.conclusion,
      runnerId: job.runnerId,
      runnerName: job.runnerName,
      createdAt: new Date(job.createdAt).toISOString(),
      startedAt: iso(job.startedAt),
      completedAt: iso(job.completedAt),
      steps: job.stepResults.map((s) => ({
        number: s.number,
        name: s.name,
        status: s.status,
        conclusion: s.conclusion,
        exitCode: s.exitCode,
        log: s.log,
      })),
    };
  }

  /** Assigns queued jobs to idle online runners (GitHub's label rule, see scheduler.ts). */
  schedule(): void {
    const { state } = this;
    const queued = [...state.jobs.values()].filter((j) => j.status === "queued" && j.assignedRunnerId === null);
    if (queued.length === 0) return;
    const runners: SchedulableRunner[] = [...state.runners.values()].map((r) => ({
      id: r.id,
      labels: r.labels.map((l) => l.name),
      online: this.isOnline(r),
      busy: r.jobId !== null,
      access: this.accessOf(r),
    }));
    const jobs = queued.map((j) => ({
      id: j.id,
      repository: j.repository,
      repositoryId: state.repository(j.repository)?.id ?? -1,
      labels: j.labels,
      createdAt: j.createdAt,
    }));
    for (const { jobId, runnerId } of assignJobs(jobs, runners)) {
      const job = state.jobs.get(jobId)!;
      const runner = state.runners.get(runnerId)!;
      job.assignedRunnerId = runner.id;
      runner.jobId = job.id;
      this.wake(runner.id);
    }
  }

  private accessOf(runner: Runner): RunnerAccess {
    if (runner.scope.kind === "repo") return { kind: "repo", repository: runner.scope.repository };
    const group = this.state.group(runner.scope.org, runner.groupId);
    const org = runner.scope.org;
    if (!group || group.visibility === "all") return { kind: "org", org, repositoryIds: "all" };
    if (group.visibility === "private") {
      const ids = [...this.state.repositories.values()].filter((r) => r.private && r.owner.toLowerCase() === org.toLowerCase()).map((r) => r.id);
      return { kind: "org", org, repositoryIds: ids };
    }
    return { kind: "org", org, repositoryIds: group.selectedRepositoryIds };
  }

  private unassign(job: Job): void {
    const runner = job.assignedRunnerId === null ? undefined : this.state.runners.get(job.assignedRunnerId);
    if (runner && runner.jobId === job.id) runner.jobId = null;
    job.assignedRunnerId = null;
  }

  private finishJob(job: Job, conclusion: "success" | "failure" | "cancelled"): void {
    const now = this.now();
    const runner = job.assignedRunnerId === null ? undefined : this.state.runners.get(job.assignedRunnerId);
    const wasRunning = job.status === "in_progress";
    job.status = "completed";
    job.conclusion = conclusion;
    job.completedAt = now;
    if (job.startedAt === null) job.startedAt = now;
    for (const step of job.stepResults) {
      if (step.status !== "completed") {
        step.status = "completed";
        step.conclusion = step.conclusion ?? "cancelled";
        step.completedAt = now;
      }
    }
    if (runner) {
      if (wasRunning && runner.ephemeral) this.removeRunner(runner);
      else this.unassign(job);
    }
    this.emit("completed", job);
    this.schedule();
  }

  // ---- the runner's side ---------------------------------------------------------------------

  runnerByToken(token: string | undefined): Runner | undefined {
    if (!token) return undefined;
    for (const runner of this.state.runners.values()) if (runner.clientId === token) return runner;
    return undefined;
  }

  createSession(runner: Runner, agentName: string): { sessionId: string; runnerId: number } {
    if (runner.neverConnects) throw new GitHubHttpError(503, "Service unavailable");
    if (runner.jitUsed) throw new GitHubHttpError(409, "This JIT configuration has already been used");
    if (agentName !== runner.name) throw new GitHubHttpError(400, `agentName ${agentName} does not match the JIT config's runner`);
    runner.jitUsed = true;
    runner.sessionId = randomUUID();
    runner.lastSeenAt = this.now();
    runner.os = "Linux";
    this.sessions.set(runner.sessionId, runner.id);
    this.schedule();
    return { sessionId: runner.sessionId, runnerId: runner.id };
  }

  runnerForSession(sessionId: string, token: string | undefined): Runner {
    const runnerId = this.sessions.get(sessionId);
    const runner = runnerId === undefined ? undefined : this.state.runners.get(runnerId);
    if (!runner || runner.clientId !== token) throw new GitHubHttpError(404, "Session not found");
    return runner;
  }

  /** Long poll: the runner's job message, or undefined after `waitMs` (or when `signal` aborts). */
  async poll(runner: Runner, waitMs: number, signal: AbortSignal): Promise<JobMessage | undefined> {
    runner.lastSeenAt = this.now();
    runner.openPolls++;
    try {
      this.schedule();
      let message = this.takeMessage(runner);
      if (message || waitMs <= 0) return message;
      await new Promise<void>((resolve) => {
        const waiter: Waiter = { wake: () => done() };
        const timer = setTimeout(() => done(), waitMs);
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          this.waiters.get(runner.id)?.delete(waiter);
          resolve();
        };
        signal.addEventListener("abort", done, { once: true });
        let set = this.waiters.get(runner.id);
        if (!set) this.waiters.set(runner.id, (set = new Set()));
        set.add(waiter);
      });
      if (!this.state.runners.has(runner.id) || signal.aborted) return undefined;
      message = this.takeMessage(runner);
      return message;
    } finally {
      runner.openPolls = Math.max(0, runner.openPolls - 1);
      runner.lastSeenAt = this.now();
    }
  }

  private takeMessage(runner: Runner): JobMessage | undefined {
    const job = runner.jobId === null ? undefined : this.state.jobs.get(runner.jobId);
    if (!job || job.status !== "queued" || job.assignedRunnerId !== runner.id) return undefined;
    const now = this.now();
    job.status = "in_progress";
    job.startedAt = now;
    job.runnerId = runner.id;
    job.runnerName = runner.name;
    job.runnerGroupId = runner.groupId;
    job.runnerGroupName = this.groupName(runner.scope, runner.groupId) ?? "Default";
    job.stepResults = job.steps.map((step, i) => ({
      number: i + 1,
      name: step.name,
      status: "queued",
      conclusion: null,
      startedAt: null,
      completedAt: null,
      reportedStartedAt: null,
      exitCode: null,
      log: "",
    }));
    const first = job.stepResults[0];
    if (first) {
      first.status = "in_progress";
      first.startedAt = now;
    }
    this.emit("in_progress", job);
    return {
      jobId: job.id,
      runId: job.runId,
      repository: job.repository,
      jobName: job.name,
      steps: job.steps,
      timeoutMinutes: job.timeoutMinutes,
      ...this.jobContext(job.runId),
    };
  }

  private jobContext(runId: number): Pick<JobMessage, "context"> {
    const run = this.state.runs.get(runId);
    if (!run) return {};
    const repo = this.state.repository(run.repository);
    return {
      context: {
        event: run.event.name,
        headBranch: run.event.headBranch ?? null,
        defaultBranch: repo?.defaultBranch ?? null,
        sameRepository: run.headRepository === run.repository,
      },
    };
  }

  private runningJob(runner: Runner, jobId: number): Job {
    const job = this.state.jobs.get(jobId);
    if (!job || job.runnerId !== runner.id) throw new GitHubHttpError(404, `job ${jobId} is not this runner's`);
    if (job.status !== "in_progress") throw new GitHubHttpError(409, `job ${jobId} is ${job.status}`);
    return job;
  }

  reportStep(runner: Runner, jobId: number, report: StepReport): void {
    const job = this.runningJob(runner, jobId);
    runner.lastSeenAt = this.now();
    const step = job.stepResults[report.index];
    if (!step) throw new GitHubHttpError(400, `step index ${report.index} is out of range (the job has ${job.stepResults.length} steps)`);
    step.status = "completed";
    step.conclusion = report.conclusion;
    step.exitCode = report.exitCode;
    step.log = report.log.slice(-65536);
    step.startedAt = Date.parse(report.startedAt) || this.now();
    const reported = Date.parse(report.startedAt);
    step.reportedStartedAt = Number.isNaN(reported) ? null : reported;
    if (report.clock) job.runnerClock = report.clock;
    step.completedAt = Date.parse(report.completedAt) || this.now();
    const next = job.stepResults[report.index + 1];
    if (next && next.status === "queued" && report.conclusion === "success") {
      next.status = "in_progress";
      next.startedAt = step.completedAt;
    }
  }

  renewJob(runner: Runner, jobId: number): void {
    this.runningJob(runner, jobId);
    runner.lastSeenAt = this.now();
  }

  completeJob(runner: Runner, jobId: number, report: CompletionReport): void {
    const job = this.runningJob(runner, jobId);
    for (const step of job.stepResults) {
      if (step.status !== "completed") {
        step.status = "completed";
        // Steps after a failure are skipped on GitHub; ours report nothing and are marked cancelled.
        step.conclusion = "cancelled";
      }
    }
    this.finishJob(job, report.conclusion);
  }

  deleteSession(runner: Runner): void {
    if (runner.sessionId) this.sessions.delete(runner.sessionId);
    runner.sessionId = null;
    const job = runner.jobId === null ? undefined : this.state.jobs.get(runner.jobId);
    if (job && job.status === "queued") this.unassign(job);
    this.wake(runner.id);
  }

  // ---- time ----------------------------------------------------------------------------------

  /**
   * Applies the passage of time: running jobs past `timeoutMinutes` are cancelled, assignments
   * to runners that went offline before taking their job are undone, expired tokens are dropped.
   * Called before every request and by a timer.
   */
  sweep(): void {
    const now = this.now();
    for (const job of this.state.jobs.values()) {
      if (job.status === "in_progress" && job.startedAt !== null && now - job.startedAt > job.timeoutMinutes * 60_000) {
        this.finishJob(job, "cancelled");
      }
      if (job.status === "in_progress" && job.assignedRunnerId !== null) {
        const runner = this.state.runners.get(job.assignedRunnerId);
        const heardAt = runner?.lastSeenAt ?? job.startedAt ?? now;
        if (now - heardAt > this.options.lostAfterMs) this.finishJob(job, "failure");
      }
      if (job.status === "queued" && job.assignedRunnerId !== null) {
        const runner = this.state.runners.get(job.assignedRunnerId);
        if (!runner || !this.isOnline(runner)) this.unassign(job);
      }
    }
    for (const [token, issued] of this.state.installationTokens) if (issued.expiresAt <= now) this.state.installationTokens.delete(token);
    for (const [token, issued] of this.state.runnerTokens) if (issued.expiresAt <= now) this.state.runnerTokens.delete(token);
    this.schedule();
  }

  // ---- webhooks ------------------------------------------------------------------------------

  private emit(action: WorkflowJobAction, job: Job): void {
    const { state } = this;
    const run = state.runs.get(job.runId)!;
    const repo = state.repository(job.repository)!;
    const repoOwner = state.account(repo.owner)!;
    const payload = workflowJobPayload(
      {
        action,
        job,
        run,
        repo,
        repoOwner,
        sender: state.account(run.event.sender.login)!,
        installation: state.installationFor(repo.owner),
      },
      this.options.urls(),
    );
    this.options.webhooks.send(action, job.id, payload);
    this.options.logger?.debug({ jobId: job.id, action }, "workflow_job");
  }

  runStatusOf(runId: number): { status: string; conclusion: string | null } {
    return runStatus(this.state.jobsOfRun(runId));
  }

  private wake(runnerId: number): void {
    for (const waiter of [...(this.waiters.get(runnerId) ?? [])]) waiter.wake();
  }
}
