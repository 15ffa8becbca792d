/**
 * Durations of a VM's phases, from the instants in its record. Shared by metrics, the status
 * report, the lab's table and the benchmarks, so they all mean the same thing by "boot".
 */
import type { JobRef, VmTimes } from "./vm-record.ts";

export type Phase = "jit" | "overlay" | "define" | "start" | "boot" | "idle" | "run" | "poweroff" | "teardown";

/** Milliseconds per phase, for the phases whose start and end are both known. */
export function phaseDurations(times: VmTimes): Partial<Record<Phase, number>> {
  const out: Partial<Record<Phase, number>> = {};
  const span = (phase: Phase, from: number | undefined, to: number | undefined) => {
    if (from !== undefined && to !== undefined && to >= from) out[phase] = to - from;
  };
  span("jit", times.requested, times.jit);
  span("overlay", times.jit, times.overlay);
  span("define", times.overlay, times.defined);
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
 * Time the controller itself spent on a VM: everything that is not the guest booting or
 * running (preparing it before start, and removing it after the guest powered off).
 */
export function controllerOverheadMs(times: VmTimes): number | undefined {
  const down = times.poweredOff ?? times.finished;
  if (times.started === undefined || down === undefined || times.tornDown === undefined) return undefined;
  return times.started - times.requested + (times.tornDown - down);
}

/** Queued on GitHub → started on our runner. */
export function queueWaitMs(times: VmTimes, job: JobRef | undefined): number | undefined {
  if (job?.queuedAt === undefined || times.assigned === undefined) return undefined;
  return Math.max(0, times.assigned - job.queuedAt);
}
