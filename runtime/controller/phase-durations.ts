/**
 * Durations of a VM's phases, from the instants in its record. Shared by metrics, the status
 * report, the lab's table and the benchmarks, so they all mean the same thing by "boot".
 */
import type { JobRef, VmTimes } from "./vm-record.ts";

export type Phase = "intake" | "jit" | "overlay" | "define" | "start" | "boot" | "idle" | "run" | "poweroff" | "teardown";

/** Milliseconds per phase, for the phases whose start and end are both known. */
export function phaseDurations(times: VmTimes): Partial<Record<Phase, number>> {
  const out: Partial<Record<Phase, number>> = {};
  const span = (phase: Phase, from: number | undefined, to: number | undefined) => {
    if (from !== undefined && to !== undefined && to >= from) out[phase] = to - from;
  };
  // Webhook or poll → the VM's record: the loop's pass and its plan.
  span("intake", times.noticed, times.requested);
  // The JIT config and the overlay are made at the same time, both from the request.
  span("jit", times.requested, times.jit);
  span("overlay", times.requested, times.overlay);
  const prepared = times.jit !== undefined && times.overlay !== undefined ? Math.max(times.jit, times.overlay) : undefined;
  span("define", prepared, times.defined);
  span("start", times.defined, times.started);
  span("boot", times.started, times.online);
  span("idle", times.online, times.assigned);
  span("run", times.assigned, times.finished);
  span("poweroff", times.finished, times.poweredOff);
  // A VM torn down while running (timeout, drain) has no power-off: count from the decision.
  span("teardown", times.poweredOff ?? times.finished, times.tornDown);
  return out;
}

/**
 * The controller's overhead for a VM: from the moment it learned of the need (webhook arrival or
 * poll, see `VmTimes.noticed`) until the domain is running, every phase included: the pass and
 * plan, JIT config, overlay, secret, definition and QEMU's own start (`qemuStartMs`, shown beside
 * it). Records without `noticed` count from the request. Teardown is timed on its own.
 */
export function controllerOverheadMs(times: VmTimes): number | undefined {
  if (times.started === undefined) return undefined;
  return times.started - (times.noticed ?? times.requested);
}

/** QEMU's own start (`virsh start` until the domain runs), the part of the overhead that is not ours. */
export function qemuStartMs(times: VmTimes): number | undefined {
  return phaseDurations(times).start;
}

/** Queued on GitHub → started on our runner. */
export function queueWaitMs(times: VmTimes, job: JobRef | undefined): number | undefined {
  if (job?.queuedAt === undefined || times.assigned === undefined) return undefined;
  return Math.max(0, times.assigned - job.queuedAt);
}
