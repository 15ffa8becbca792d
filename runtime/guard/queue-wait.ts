/**
 * Trigger: p95 queue wait of the latest N trusted jobs (default 10) over the limit (default
 * 120 s). Jobs still waiting count with their age so far, so a stuck queue trips it before any
 * of its jobs starts. "Latest" is by queue time. Fewer than N jobs are judged as they are: with
 * nearest-rank p95 the 10th of 10 is the maximum anyway, so one slow job among few is enough.
 */
import { percentile } from "../observability/percentiles.ts";
import type { QueueSample } from "./evidence.ts";
import type { Trigger } from "./trigger.ts";

export interface QueueWaitResult {
  p95Ms: number | undefined;
  jobs: number;
  waiting: number;
}

/** The latest `count` samples (by queue time) measured at or after `since`; waiting jobs always count. */
export function latestQueueSamples(samples: readonly QueueSample[], count: number, since?: number): QueueSample[] {
  return samples
    .filter((s) => s.waiting || since === undefined || s.at >= since)
    .sort((a, b) => b.queuedAt - a.queuedAt || a.key.localeCompare(b.key))
    .slice(0, count);
}

export function queueWaitP95(samples: readonly QueueSample[], count: number, since?: number): QueueWaitResult {
  const latest = latestQueueSamples(samples, count, since);
  return { p95Ms: percentile(latest.map((s) => s.waitMs), 95), jobs: latest.length, waiting: latest.filter((s) => s.waiting).length };
}

export function queueWaitTrigger(
  samples: readonly QueueSample[],
  options: { jobs: number; limitSeconds: number; since?: number },
): Trigger | undefined {
  const result = queueWaitP95(samples, options.jobs, options.since);
  if (result.p95Ms === undefined || result.p95Ms <= options.limitSeconds * 1000) return undefined;
  const waiting = result.waiting > 0 ? `, ${result.waiting} still waiting` : "";
  return {
    kind: "queue-wait",
    message: `p95 queue wait ${Math.round(result.p95Ms / 1000)} s over the latest ${result.jobs} trusted jobs${waiting} exceeds ${options.limitSeconds} s`,
  };
}
