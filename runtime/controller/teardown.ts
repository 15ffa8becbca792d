/**
 * Tearing one runner VM down: domain, overlay, secret and, when GitHub may still list it, the
 * runner registration. Every step is idempotent, so an interrupted teardown simply runs again.
 * The VM's life is then appended to the history journal, counted, and its record removed last.
 */
import { rm } from "node:fs/promises";
import { GitHubError } from "../ports/github.ts";
import type { ControllerContext } from "./context.ts";
import { settleCaches } from "./cache-publish.ts";
import { crashPoint } from "./crash-points.ts";
import { vmPaths } from "./naming.ts";
import { outcomeOf } from "./outcome.ts";
import { endRefusedRun } from "./refused-run.ts";
import { phaseDurations, queueWaitMs } from "./phase-durations.ts";
import { failureReasons, type HistoryEntry, type VmRecord } from "./vm-record.ts";

/** `pending`: the VM is gone but GitHub still holds a refused job's registration; tried again next pass. */
export type TeardownResult = "removed" | "kept" | "pending";

/**
 * `record.teardown` must say why. A `voluntary` teardown (scale-down, drain of an idle VM)
 * deregisters the runner *first*: if GitHub says the runner just took a job, the VM is kept.
 */
export async function teardown(ctx: ControllerContext, record: VmRecord, options: { voluntary?: boolean } = {}): Promise<TeardownResult> {
  const { config, clock, hypervisor } = ctx;
  const reason = record.teardown?.reason ?? "orphan";
  const log = ctx.logger.child({ runner: record.name, pool: record.pool, jobId: record.job?.id });
  const previousPhase = record.phase;
  const leaving: VmRecord = { ...record, phase: "tearing-down", teardown: record.teardown ?? { reason, detail: "", at: clock.now() } };
  // A job cut short (timeout, drain, refusal) ends when the teardown was decided.
  if (leaving.times.assigned !== undefined) leaving.times = { ...leaving.times, finished: leaving.times.finished ?? leaving.teardown!.at };
  await ctx.records.put(leaving);
  await crashPoint("teardown:recorded");

  if (options.voluntary && leaving.runnerId !== undefined) {
    try {
      await ctx.github.deleteRunner(leaving.runnerId);
    } catch (error) {
      if (error instanceof GitHubError && error.status === 422) {
        // GitHub refuses to remove a busy runner: it took a job a moment ago. Keep the VM.
        log.info({ event: "teardown_kept", reason }, "runner became busy; keeping it");
        const { teardown: _dropped, ...kept } = leaving;
        await ctx.records.put({ ...kept, phase: previousPhase === "tearing-down" ? "idle" : previousPhase });
        return "kept";
      }
      throw error;
    }
  }

  const paths = vmPaths(config.paths.state, leaving.name);
  const stepStarted = clock.now();
  // The domain first (nothing may run from the overlay we are about to delete); a refused job's
  // run is ended meanwhile. The files and the registration do not depend on each other.
  await settleBoth(
    hypervisor.removeDomain(leaving.name).then(() => {
      leaving.times.domainGone ??= clock.now();
    }),
    endRunIfRefused(ctx, leaving),
  );
  const domainMs = clock.now() - stepStarted;
  await crashPoint("teardown:domain-removed");
  await settleCaches(ctx, leaving);
  const [, released] = await Promise.all([
    Promise.all([hypervisor.removeOverlay(paths.overlay), rm(paths.secret, { force: true })]),
    !options.voluntary && leaving.runnerId !== undefined && mayStillBeRegistered(leaving)
      ? deregisterAfterDestroy(ctx, leaving, log)
      : true,
  ]);
  if (!released) {
    // The record stays (phase tearing-down) as the journal of the removal still owed: the next
    // pass, or the next controller, tries again.
    await ctx.records.put(leaving);
    return "pending";
  }
  leaving.times.tornDown = clock.now();
  await crashPoint("teardown:cleaned");

  const entry = historyEntry(leaving);
  await ctx.history.append(entry);
  await ctx.fleet?.finished(leaving, entry);
  await crashPoint("teardown:history");
  record.times = leaving.times;
  countEnd(ctx, entry);
  await keepLogIfFailed(leaving, paths.serialLog);
  ctx.consoles.forget(leaving.name);
  await ctx.records.remove(leaving.name);
  log.info(
    { event: "vm_removed", reason, outcome: entry.outcome, detail: leaving.teardown!.detail, domainMs, teardownMs: clock.now() - stepStarted },
    "runner VM torn down",
  );
  return "removed";
}

/**
 * GitHub removes an ephemeral runner by itself once its job completes; any other end (boot
 * failure, timeout, drain, refusal) leaves a registration behind that we must delete. Skipping
 * the call for completed jobs keeps steady-state API use at one call per job; a registration
 * GitHub failed to remove is caught by the orphan sweep.
 */
function mayStillBeRegistered(record: VmRecord): boolean {
  return record.teardown?.reason !== "completed";
}

/**
 * The VM is gone, so its runner is too; but GitHub refuses (422) to delete a registration it
 * still believes is running a job, until the job ends. A refused job's run was cancelled, so
 * that is soon: the removal is owed and retried (false). Any other job ends when GitHub notices
 * the runner was lost, which is no reason to keep the teardown open: the orphan sweep removes
 * the registration once GitHub lets go (an ephemeral one usually disappears by itself).
 */
async function deregisterAfterDestroy(ctx: ControllerContext, record: VmRecord, log: ControllerContext["logger"]): Promise<boolean> {
  try {
    await ctx.github.deleteRunner(record.runnerId!);
    return true;
  } catch (error) {
    if (!(error instanceof GitHubError && error.status === 422)) throw error;
    const owed = record.teardown?.reason === "untrusted";
    log.info({ event: "runner_release_pending", runnerId: record.runnerId, retried: owed }, owed
      ? "GitHub still shows the refused runner busy; removing it once the cancelled job ends"
      : "GitHub still shows the runner busy; the orphan sweep will remove it");
    return !owed;
  }
}

/** A refused job's run is cancelled and its commit status set, once (the record remembers). */
async function endRunIfRefused(ctx: ControllerContext, record: VmRecord): Promise<void> {
  const { teardown: why, job } = record;
  if (why?.reason !== "untrusted" || why.runEnded || job?.repository === undefined || job.runId === undefined) return;
  await endRefusedRun(ctx.github, { repository: job.repository, runId: job.runId, ...(job.headSha ? { headSha: job.headSha } : {}) }, why.detail);
  why.runEnded = true;
}

/** Waits for both, then fails if either failed: a teardown retried later must not race its own first try. */
async function settleBoth(a: Promise<void>, b: Promise<void>): Promise<void> {
  const results = await Promise.allSettled([a, b]);
  for (const result of results) if (result.status === "rejected") throw result.reason;
}

function historyEntry(record: VmRecord): HistoryEntry {
  const reason = record.teardown!.reason;
  const entry: HistoryEntry = {
    name: record.name,
    pool: record.pool,
    outcome: outcomeOf(record, reason),
    reason,
    detail: record.teardown!.detail,
    times: record.times,
  };
  if (record.job) entry.job = record.job;
  if (record.caches) entry.caches = record.caches;
  return entry;
}

function countEnd(ctx: ControllerContext, entry: HistoryEntry): void {
  const { metrics } = ctx;
  if (entry.outcome !== "unused") metrics.jobs.inc({ pool: entry.pool, outcome: entry.outcome });
  if (failureReasons.has(entry.reason)) metrics.vmFailures.inc({ pool: entry.pool, reason: entry.reason });
  for (const [phase, ms] of Object.entries(phaseDurations(entry.times))) {
    metrics.phaseSeconds.observe({ pool: entry.pool, phase }, ms / 1000);
  }
  const wait = queueWaitMs(entry.times, entry.job);
  if (wait !== undefined) metrics.queueWaitSeconds.observe({ pool: entry.pool }, wait / 1000);
}

/** Serial logs of failed VMs are the first thing an operator wants; the rest are dropped. */
async function keepLogIfFailed(record: VmRecord, serialLog: string): Promise<void> {
  if (failureReasons.has(record.teardown!.reason)) return;
  await rm(serialLog, { force: true });
}
