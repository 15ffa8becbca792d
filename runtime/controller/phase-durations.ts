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
 * Time the controller itself spent on a VM: everything that is not the guest booting or
 * running. That is preparing it (JIT config, overlay, secret, definition) until it asks the
 * hypervisor to start the VM, and removing it once the guest has powered off. QEMU's own start
 * belongs to the boot, like the kernel's.
 */
export function controllerOverheadMs(times: VmTimes): number | undefined {
  const down = times.poweredOff ?? times.finished;
  if (times.defined === undefined || down === undefined || times.tornDown === undefined) return undefined;
  return times.defined - times.requested + (times.tornDown - down);
}

/** Queued on GitHub → started on our runner. */
export function queueWaitMs(times: VmTimes, job: JobRef | undefined): number | undefined {
  if (job?.queuedAt === undefined || times.assigned === undefined) return undefined;
  return Math.max(0, times.assigned - job.queuedAt);
}
