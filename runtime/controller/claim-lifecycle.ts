/**
 * The phases of a VM in an on-claim pool (`register: on-claim`), as a pure table and the step
 * `advanceVm` takes for such VMs:
 *
 *   provisioning → booting → waiting ──claim──▶ claimed ──job started──▶ busy → finished
 *
 * `waiting`: booted without a registration, the agent waits on the job channel (its console says
 * so). `claimed`: the plan gave it one queued job; the claim action requests that job's JIT
 * config and hands it over the channel. A VM is claimed at most once, ever: only `waiting` takes
 * a claim, and nothing leads back to `waiting`.
 */
import type { ConsoleMarks } from "./console-marks.ts";
import type { VmTiming } from "./vm-lifecycle.ts";
import type { TeardownReason, VmPhase, VmRecord } from "./vm-record.ts";

export type ClaimEvent =
  /** The console shows the agent waiting on the job channel. */
  | "waiting"
  /** The plan gives the VM a queued job. */
  | "claim"
  /** The runner took its job (console, webhook or GitHub). */
  | "job";

const transitions: Partial<Record<VmPhase, Partial<Record<ClaimEvent, VmPhase>>>> = {
  booting: { waiting: "waiting" },
  waiting: { claim: "claimed" },
  claimed: { job: "busy" },
};

/** The phase after `event`, or undefined when the event does not move this phase (it is ignored). */
export function nextClaimPhase(phase: VmPhase, event: ClaimEvent): VmPhase | undefined {
  return transitions[phase]?.[event];
}

export interface ClaimStep {
  record: VmRecord;
  teardown?: { reason: TeardownReason; detail: string };
}

/**
 * One pass for a running on-claim VM in `booting`, `waiting` or `claimed` (undefined otherwise:
 * the common steps apply). `record` is the copy `advanceVm` is updating; `tookJob` whether the
 * runner took its job.
 */
export function advanceOnClaim(record: VmRecord, marks: ConsoleMarks, tookJob: boolean, now: number, timing: VmTiming): ClaimStep | undefined {
  if (!record.onClaim) return undefined;
  const event: ClaimEvent | undefined = tookJob ? "job" : marks.waiting ? "waiting" : undefined;
  const next = event === undefined ? undefined : nextClaimPhase(record.phase, event);
  if (next === "waiting") {
    record.phase = next;
    record.times.online ??= now;
    return { record };
  }
  if (next === "busy") return undefined;
  if (record.phase === "waiting") return { record };
  if (record.phase !== "claimed") return undefined;
  // The claim action is not running (it would be in flight): it was cut short, or it is done.
  if (record.times.handedOut === undefined) {
    return { record, teardown: { reason: "interrupted", detail: "handing the job to the VM was interrupted" } };
  }
  const since = now - record.times.handedOut;
  if (since > timing.bootTimeoutMs) {
    return { record, teardown: { reason: "boot_timeout", detail: `the runner did not take its job ${Math.round(since / 1000)} s after the handover` } };
  }
  return { record };
}
