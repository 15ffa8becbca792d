/** Per-job timings operators look at, from a VM's recorded instants. */
import type { VmTimes } from "../controller/vm-record.ts";

/** Setup: VM requested → runner online (what a job waits for when no warm runner is idle). */
export function setupMs(times: VmTimes): number | undefined {
  return times.online === undefined ? undefined : Math.max(0, times.online - times.requested);
}
