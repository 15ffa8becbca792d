/**
 * The controller's last line of defence for routing: a job that targets this host's pools is
 * refused if its workflow run comes from a context that may not use self-hosted runners (fork,
 * bot, untrusted event). Each run is looked up once (one API call, cached).
 *
 * The check starts as soon as the controller hears of the job: on its `queued` webhook (or the
 * poll that finds it queued). A run refused while its job is still queued is cancelled before
 * any runner takes it, and no VM is ever started for it. A warm runner can take a job before the
 * webhook arrives; the VM that took it is then refused in the first pass that sees it busy, with
 * the verdict usually known already. See docs/controller.md, "Trust", for the bound.
 *
 * Lookups and cancellations run in the background; a verdict reaches the loop as a refusal to
 * act on in its next pass, so a slow GitHub never holds a pass up. A failed lookup is retried.
 */
import type { PoolConfig } from "../config/controller-config.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { GitHub } from "../ports/github.ts";
import { mayPublishCaches } from "../protocol/guest-caches.ts";
import { assessRunTrust } from "../routing/run-trust.ts";
import type { RoutingPolicy } from "../routing/policy.ts";
import type { Reason } from "../routing/reasons.ts";
import { poolForJob, type QueuedJob } from "./demand.ts";
import { endRefusedRun } from "./refused-run.ts";
import type { VmRecord } from "./vm-record.ts";

/** What the trust check says about a run: why to refuse it (undefined: it may run), and its commit. */
export interface RunVerdict {
  refuse?: Reason;
  headSha: string;
  /** The run may publish dependency caches (`mayPublishCaches`: the default branch's own code). */
  publishCaches?: boolean;
}

export type JudgeRun = (repository: string, runId: number) => Promise<RunVerdict>;

/** Remembered verdicts and counted jobs: enough for hours of jobs, bounded all the same. */
const memory = 2000;

/** Judges runs from their run context (one lookup per run, cached; a failed lookup is not). */
export function createTrustCheck(github: GitHub, policy?: RoutingPolicy): JudgeRun {
  const runs = new Map<string, Promise<RunVerdict>>();
  return (repository, runId) => {
    const key = `${repository}#${runId}`;
    let verdict = runs.get(key);
    if (!verdict) {
      verdict = github.getRunContext(repository, runId).then((run) => {
        const trust = assessRunTrust(undefined, run, policy);
        const publishCaches = trust.verdict !== "untrusted" && mayPublishCaches({ ...run, sameRepository: run.headRepositoryId === run.repositoryId });
        return { headSha: run.headSha, publishCaches, ...(trust.verdict === "untrusted" ? { refuse: trust.reason } : {}) };
      });
      runs.set(key, verdict);
      verdict.catch(() => runs.delete(key));
      forgetOldest(runs);
    }
    return verdict;
  };
}

export interface Refusal {
  name: string;
  /** `<reason code>: <message>`, for the teardown record, the log and the commit status. */
  detail: string;
  headSha: string;
}

export interface TrustGateDeps {
  github: GitHub;
  pools: readonly PoolConfig[];
  metrics: Metrics;
  logger: Logger;
  /** A verdict arrived: the loop should pass again soon. */
  onVerdict: () => void;
}

export class TrustGate {
  private readonly verdicts = new Map<string, RunVerdict>();
  private readonly lookups = new Set<string>();
  private readonly counted = new Map<string, true>();
  private readonly ended = new Map<string, true>();

  constructor(
    private readonly judge: JudgeRun | undefined,
    private readonly deps: TrustGateDeps,
  ) {}

  /**
   * Queued jobs that target this host's pools: judge their runs now, and end a refused run
   * before a runner takes its job. Never waits. Returns the jobs that are not refused (the
   * demand): a job still being judged counts, so a cold pickup never waits for a lookup.
   */
  vetQueued(jobs: readonly QueuedJob[]): QueuedJob[] {
    return jobs.filter((job) => {
      if (!poolForJob(this.deps.pools, job.labels)) return true;
      const verdict = this.verdictOf(job.repository, job.runId);
      const fromWebhook = job.untrusted === undefined ? undefined : { code: job.untrusted, message: "the webhook's sender is a bot" };
      const reason = verdict?.refuse ?? fromWebhook;
      if (verdict === undefined || reason === undefined) return true;
      const detail = `${reason.code}: ${reason.message}`;
      this.count(`job:${job.id}`, reason.code, { jobId: job.id, runId: job.runId }, "queued job refused; cancelling its run");
      this.endRun(job.repository, job.runId, verdict.headSha, detail);
      return false;
    });
  }

  /**
   * Jobs an on-claim VM may be given: their run is judged and not refused (every job, without a
   * trust check). Never waits: a job not judged yet is looked up and cleared in a later pass.
   */
  cleared(jobs: readonly QueuedJob[]): Set<number> {
    const ids = new Set<number>();
    for (const job of jobs) {
      if (job.untrusted !== undefined || !poolForJob(this.deps.pools, job.labels)) continue;
      const verdict = this.judge ? this.verdictOf(job.repository, job.runId) : { headSha: "" };
      if (verdict !== undefined && verdict.refuse === undefined) ids.add(job.id);
    }
    return ids;
  }

  /**
   * VMs running (or done with) a job whose run is refused: to be torn down in this pass. A run
   * not judged yet is looked up, and its refusal comes in a later pass. A job so short that its
   * VM was first seen finished is refused too: too late to stop, but it ends visibly and counts.
   */
  refusals(records: readonly VmRecord[]): Refusal[] {
    const out: Refusal[] = [];
    for (const record of records) {
      const { repository, runId, id } = record.job ?? {};
      if ((record.phase !== "busy" && record.phase !== "finished") || repository === undefined || runId === undefined) continue;
      const verdict = this.verdictOf(repository, runId);
      if (verdict?.refuse === undefined) continue;
      const detail = `${verdict.refuse.code}: ${verdict.refuse.message}`;
      this.count(id === undefined ? `vm:${record.name}` : `job:${id}`, verdict.refuse.code, { runner: record.name, jobId: id, runId }, "untrusted job on a self-hosted runner; tearing it down");
      out.push({ name: record.name, detail, headSha: verdict.headSha });
    }
    return out;
  }

  /** The verdict if known; otherwise starts the lookup (once at a time) and answers undefined. */
  private verdictOf(repository: string, runId: number): RunVerdict | undefined {
    const key = `${repository}#${runId}`;
    const known = this.verdicts.get(key);
    if (known || !this.judge || this.lookups.has(key)) return known;
    this.lookups.add(key);
    this.judge(repository, runId).then(
      (verdict) => {
        this.lookups.delete(key);
        this.verdicts.set(key, verdict);
        forgetOldest(this.verdicts);
        // A refusal is acted on, and a clearance lets a waiting VM take its job: both want a pass.
        this.deps.onVerdict();
      },
      // GitHub unreachable: looked up again when the job is next seen.
      () => this.lookups.delete(key),
    );
    return undefined;
  }

  /** One refused job counts once, however many ways (queue, VM, restart of the check) it is seen. */
  private count(key: string, reason: string, fields: Record<string, unknown>, message: string): void {
    if (this.counted.has(key)) return;
    this.counted.set(key, true);
    forgetOldest(this.counted);
    this.deps.metrics.untrustedRefused.inc({ reason });
    this.deps.logger.warn({ event: "job_refused", reason, ...fields }, message);
  }

  private endRun(repository: string, runId: number, headSha: string, detail: string): void {
    const key = `${repository}#${runId}`;
    if (this.ended.has(key)) return;
    this.ended.set(key, true);
    forgetOldest(this.ended);
    endRefusedRun(this.deps.github, { repository, runId, headSha }, detail).then(
      () => this.deps.logger.info({ event: "run_cancelled", runId, detail }, "refused run cancelled; its commit status says why"),
      (error: unknown) => {
        // Tried again while the job is still seen queued.
        this.ended.delete(key);
        this.deps.logger.warn({ event: "run_cancel_failed", runId, err: error instanceof Error ? error.message : String(error) }, "could not cancel a refused run");
      },
    );
  }
}

function forgetOldest(map: Map<string, unknown>): void {
  if (map.size > memory) map.delete(map.keys().next().value!);
}
