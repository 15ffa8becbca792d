/**
 * When the controller learned of the need each new VM fills, so its overhead can be timed from
 * there (`VmTimes.noticed`). Pure.
 *
 * Spare VMs (provisioning, booting, idle) take the oldest queued jobs; new VMs fill the next
 * ones, in the order the controller heard of them. A new VM beyond the queued jobs refills the
 * warm target: its need arose when a VM of the pool took a job, the latest first (older ones
 * were refilled by earlier passes). With neither, the need is the pool's floor at start-up: now.
 */
export interface TriggerInput {
  /** When each queued job the pool serves was first heard of. */
  queuedSeenAt: readonly number[];
  /** VMs of the pool that can still take a job. */
  spare: number;
  /** When each busy VM of the pool was first seen taking its job. */
  busySeenAt: readonly number[];
  /** VMs to start. */
  count: number;
  now: number;
}

export function provisionNoticedAt(input: TriggerInput): number[] {
  const jobs = [...input.queuedSeenAt].sort((a, b) => a - b).slice(input.spare);
  const refills = [...input.busySeenAt].sort((a, b) => b - a);
  return Array.from({ length: input.count }, (_, i) => jobs[i] ?? refills[i - jobs.length] ?? input.now);
}
