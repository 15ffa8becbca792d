/**
 * A pool's demand as the controller knows it, for adaptive sizing: the jobs it served (the
 * history journal), the jobs its VMs hold now and its queued jobs; and how long replacing a
 * taken warm VM has taken lately.
 */
import type { QueuedJob } from "../demand.ts";
import type { HistoryEntry, VmRecord } from "../vm-record.ts";
import type { Arrival } from "./demand-rate.ts";

/** Until the pool has booted VMs of its own: a minute from a VM taken to its replacement ready. */
export const defaultReplenishMs = 60_000;
const replenishSamples = 20;

export interface PoolDemand {
  arrivals: Arrival[];
  /** The oldest moment the history covers. */
  since?: number;
  replenishMs: number;
}

export function poolDemand(pool: string, history: readonly HistoryEntry[], records: readonly VmRecord[], queued: readonly QueuedJob[]): PoolDemand {
  const arrivals = new Map<string, Arrival>();
  const add = (key: string, at: number | undefined, runId: number | undefined) => {
    if (at !== undefined && !arrivals.has(key)) arrivals.set(key, runId === undefined ? { at } : { at, runId });
  };
  for (const vm of [...history, ...records]) {
    if (vm.pool === pool && vm.job) add(vm.job.id === undefined ? `vm:${vm.name}` : `job:${vm.job.id}`, vm.job.queuedAt ?? vm.times.assigned, vm.job.runId);
  }
  for (const job of queued) add(`job:${job.id}`, job.queuedAt, job.runId);
  const since = history.reduce<number | undefined>((oldest, e) => Math.min(oldest ?? e.times.requested, e.times.requested), undefined);
  return { arrivals: [...arrivals.values()], ...(since === undefined ? {} : { since }), replenishMs: replenishMs(pool, history) };
}

/** Median of (replacement noticed → runner online) over the pool's latest VMs that came online. */
function replenishMs(pool: string, history: readonly HistoryEntry[]): number {
  const spans: number[] = [];
  for (let i = history.length - 1; i >= 0 && spans.length < replenishSamples; i--) {
    const { times } = history[i]!;
    if (history[i]!.pool === pool && times.online !== undefined) spans.push(times.online - (times.noticed ?? times.requested));
  }
  if (spans.length === 0) return defaultReplenishMs;
  spans.sort((a, b) => a - b);
  return Math.max(0, spans[Math.floor(spans.length / 2)]!);
}
