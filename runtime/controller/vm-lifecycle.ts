/**
 * One VM's state machine, as a pure function of what was observed: its journal record, its
 * libvirt domain, its GitHub runner, its console, and what webhooks said about its job.
 *
 *   provisioning → booting → idle → busy → finished → (torn down)
 *   on-claim pools: booting → waiting → claimed → busy (`claim-lifecycle.ts`)
 *        any phase → tearing-down, with a reason, when something goes wrong or ends
 */
import type { DomainInfo } from "../ports/hypervisor.ts";
import type { RunnerInfo } from "../ports/github.ts";
import { advanceOnClaim } from "./claim-lifecycle.ts";
import { conclusionOf, type ConsoleMarks } from "./console-marks.ts";
import type { JobRef, TeardownReason, VmRecord } from "./vm-record.ts";

export interface VmTiming {
  bootTimeoutMs: number;
  jobTimeoutMs: number;
  /** How long a guest may keep running after its job completed before it is called stuck. */
  stuckGraceMs: number;
}

/** What GitHub (through webhooks or polling) says a runner is doing. */
export interface JobAssignment {
  runnerName: string;
  job: JobRef;
  /** Epoch ms the job started on the runner. */
  startedAt?: number;
  completed: boolean;
  /** Epoch ms this controller first heard of the assignment (webhook arrival or poll). */
  noticedAt?: number;
}

export interface VmView {
  record: VmRecord;
  domain: DomainInfo | undefined;
  /** Undefined when the runner list was not read this pass (or the runner is not listed). */
  runner: RunnerInfo | undefined;
  marks: ConsoleMarks;
  assignment: JobAssignment | undefined;
  /** True while an action on this VM is running in this process. */
  inFlight: boolean;
  /**
   * When libvirt reported the domain's state (default: `now`). Listing can block while libvirt
   * finishes stopping a domain that just powered off; the power-off is complete when it answers.
   */
  domainSeenAt?: number;
}

export interface VmStep {
  /** The record with phase, times and job brought up to date. */
  record: VmRecord;
  teardown?: { reason: TeardownReason; detail: string };
}

export function advanceVm(view: VmView, now: number, timing: VmTiming): VmStep {
  const { domain, marks, assignment, runner } = view;
  const record: VmRecord = { ...view.record, times: { ...view.record.times } };
  if (view.record.job) record.job = { ...view.record.job };

  if (record.phase === "tearing-down") {
    if (view.inFlight || !record.teardown) return { record };
    return { record, teardown: { reason: record.teardown.reason, detail: record.teardown.detail } };
  }
  if (view.inFlight) return { record };

  if (record.phase === "provisioning") {
    // Only an interrupted provision (the controller died mid-way) reaches here. A domain that
    // was already started is adopted; anything less is cleaned up.
    if (domain?.state === "running" && (record.runnerId !== undefined || record.onClaim) && record.startedBy !== "restore") {
      record.phase = "booting";
      record.times.started ??= now;
    } else {
      return { record, teardown: { reason: "interrupted", detail: "provisioning was interrupted" } };
    }
  }

  if (!domain) {
    return { record, teardown: { reason: "libvirt_error", detail: "the domain disappeared" } };
  }

  mergeJob(record, view);
  const tookJob = record.job !== undefined || record.times.assigned !== undefined;

  if (domain.state === "crashed") {
    return { record, teardown: { reason: "libvirt_error", detail: "the guest crashed" } };
  }
  if (domain.state === "shutoff") {
    record.phase = "finished";
    record.times.finished ??= view.domainSeenAt ?? now;
    record.times.poweredOff ??= view.domainSeenAt ?? now;
    if (tookJob) {
      backfillUnseenStart(record, assignment);
      return { record, teardown: { reason: "completed", detail: "the guest powered off after its job" } };
    }
    return {
      record,
      teardown: {
        reason: "boot_failed",
        detail: record.times.online ? "the guest powered off without a job" : "the guest powered off before its runner came online",
      },
    };
  }

  const claimStep = advanceOnClaim(record, marks, tookJob, now, timing);
  if (claimStep) return claimStep;

  // Running (or paused): move forward on evidence, then check the clocks.
  if (marks.listening || runner?.status === "online" || tookJob) record.times.online ??= now;
  if (tookJob) {
    record.phase = "busy";
    record.times.assigned ??= assignedAt(assignment?.startedAt, now);
  } else if (record.times.online !== undefined) {
    record.phase = "idle";
  } else {
    record.phase = "booting";
  }

  const started = record.times.started ?? record.times.requested;
  if (record.phase === "booting" && now - started > timing.bootTimeoutMs) {
    return { record, teardown: { reason: "boot_timeout", detail: `no runner online ${seconds(now - started)} after start` } };
  }
  const assigned = record.times.assigned;
  if (record.phase === "busy" && assigned !== undefined && now - assigned > timing.jobTimeoutMs) {
    return { record, teardown: { reason: "job_timeout", detail: `job still running ${seconds(now - assigned)} after it started` } };
  }
  const completedAt = record.times.finished;
  if (completedAt !== undefined && now - completedAt > timing.stuckGraceMs) {
    return { record, teardown: { reason: "stuck_after_job", detail: "the guest kept running after its job completed" } };
  }
  if ((marks.result !== undefined || assignment?.completed) && record.times.finished === undefined) {
    // The job is over but the guest is still up: start the grace clock.
    record.times.finished = now;
  }
  return { record };
}

function mergeJob(record: VmRecord, view: VmView): void {
  const { marks, assignment, runner } = view;
  if (!marks.runningJob && !assignment && !runner?.busy) return;
  const job: JobRef = { ...record.job, ...assignment?.job };
  if (marks.runningJob && job.name === undefined) job.name = marks.runningJob;
  const conclusion = assignment?.job.conclusion ?? conclusionOf(marks.result);
  if (conclusion) job.conclusion = conclusion;
  record.job = job;
}

/**
 * GitHub's `started_at` has one-second resolution, so a start we see as it happens is timed by
 * our own clock. Only a start we learn of late (say, after a controller restart) takes GitHub's.
 */
function assignedAt(startedAt: number | undefined, now: number): number {
  return startedAt !== undefined && now - startedAt > 2_000 ? startedAt : now;
}

/**
 * A guest can boot, run its job and power off between two passes (a busy libvirtd can hold a
 * listing for seconds). Its job's start is then known only from GitHub; its runner was online by
 * then, so `boot` for such a VM ends at the job's start.
 */
function backfillUnseenStart(record: VmRecord, assignment: JobAssignment | undefined): void {
  const startedAt = assignment?.startedAt;
  if (record.times.assigned !== undefined || startedAt === undefined) return;
  const earliest = record.times.started ?? record.times.requested;
  const latest = record.times.finished ?? startedAt;
  record.times.assigned = Math.min(Math.max(startedAt, earliest), latest);
  record.times.online ??= record.times.assigned;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
