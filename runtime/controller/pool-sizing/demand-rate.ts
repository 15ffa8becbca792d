/**
 * How many batches of jobs (a push's jobs, queued together) a pool can expect per unit of time
 * now, learned from its job arrivals: by hour of day (UTC), weekdays apart from weekends, and
 * never less than the last quarter hour's rate (a busy spell the time of day did not predict).
 */
import type { BatchSizes } from "./cold-start.ts";

export interface Arrival {
  /** Epoch ms the job was queued (GitHub's created_at). */
  at: number;
  /** The workflow run; jobs of one run queued within `batchGapMs` form one batch. */
  runId?: number;
}

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
export const batchGapMs = 10_000;
/** The recent rate is taken over this long. */
export const recentWindowMs = 15 * 60_000;
/** A bucket seen for less than this long does not count on its own: the hour of day across all days does. */
const minExposureMs = 30 * 60_000;
/** The largest batch modelled; larger ones are counted as this. */
const maxBatch = 64;

export interface Batch {
  at: number;
  size: number;
}

/** Arrivals grouped into batches, oldest first. An arrival without a run is a batch of its own. */
export function batchesOf(arrivals: readonly Arrival[]): Batch[] {
  const sorted = [...arrivals].sort((a, b) => a.at - b.at);
  const open = new Map<number, Batch>();
  const batches: Batch[] = [];
  for (const arrival of sorted) {
    const current = arrival.runId === undefined ? undefined : open.get(arrival.runId);
    if (current && arrival.at - current.at <= batchGapMs) {
      current.size++;
      continue;
    }
    const batch = { at: arrival.at, size: 1 };
    batches.push(batch);
    if (arrival.runId !== undefined) open.set(arrival.runId, batch);
  }
  return batches;
}

/** The law of batch sizes seen; a single job when nothing was seen. */
export function batchSizes(batches: readonly Batch[]): BatchSizes {
  if (batches.length === 0) return [0, 1];
  const largest = Math.min(maxBatch, batches.reduce((most, b) => Math.max(most, b.size), 1));
  const sizes = new Array<number>(largest + 1).fill(0);
  for (const batch of batches) sizes[Math.min(largest, batch.size)]! += 1 / batches.length;
  return sizes;
}

type Bucket = { hour: number; weekend: boolean };

function bucketOf(at: number): Bucket {
  const date = new Date(at);
  const day = date.getUTCDay();
  return { hour: date.getUTCHours(), weekend: day === 0 || day === 6 };
}

/** Time spent in [from, to) in each (weekend?, hour) bucket, and in each hour of day. */
function exposure(from: number, to: number): { byBucket: Map<string, number>; byHour: number[] } {
  const byBucket = new Map<string, number>();
  const byHour = new Array<number>(24).fill(0);
  for (let start = from; start < to; ) {
    const end = Math.min(to, Math.floor(start / hourMs) * hourMs + hourMs);
    const bucket = bucketOf(start);
    const key = `${bucket.weekend}:${bucket.hour}`;
    byBucket.set(key, (byBucket.get(key) ?? 0) + end - start);
    byHour[bucket.hour]! += end - start;
    start = end;
  }
  return { byBucket, byHour };
}

export interface RateInput {
  batches: readonly Batch[];
  /** The history starts here (earlier time says nothing); defaults to the first batch. */
  since?: number;
  now: number;
  /** Also look this far ahead, so VMs are ready when a busy hour begins. */
  aheadMs: number;
}

/** Expected batches per ms at `now`: the larger of the time-of-day rate (now and `aheadMs` on) and the recent one. */
export function batchRate(input: RateInput): number {
  const { batches, now } = input;
  const past = batches.filter((b) => b.at <= now);
  if (past.length === 0) return 0;
  const since = Math.min(input.since ?? past[0]!.at, now);
  const seen = exposure(since, now);
  const counts = new Map<string, number>();
  const hourCounts = new Array<number>(24).fill(0);
  for (const batch of past) {
    if (batch.at < since) continue;
    const bucket = bucketOf(batch.at);
    const key = `${bucket.weekend}:${bucket.hour}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    hourCounts[bucket.hour]!++;
  }
  const overall = past.filter((b) => b.at >= since).length / Math.max(now - since, recentWindowMs);
  const rateAt = (at: number): number => {
    const bucket = bucketOf(at);
    const key = `${bucket.weekend}:${bucket.hour}`;
    const bucketExposure = seen.byBucket.get(key) ?? 0;
    if (bucketExposure >= minExposureMs) return (counts.get(key) ?? 0) / bucketExposure;
    const hourExposure = seen.byHour[bucket.hour]!;
    if (hourExposure >= minExposureMs) return hourCounts[bucket.hour]! / hourExposure;
    return overall;
  };
  const recent = past.filter((b) => b.at > now - recentWindowMs).length / recentWindowMs;
  return Math.max(rateAt(now), rateAt(now + input.aheadMs), recent);
}

export { dayMs, hourMs };
