/**
 * How many batches of jobs (a push's jobs, queued together) a pool can expect per unit of time
 * per unit of time, learned from its job arrivals: by hour of day (UTC), weekdays apart from
 * weekends; and over the last quarter hour (a busy spell the time of day did not predict).
 */
import type { BatchSizes } from "./cold-start.ts";

export interface Arrival {
  /** Epoch ms the job was queued (GitHub's created_at). */
  at: number;
  /** The workflow run; jobs of one run queued within `batchGapMs` form one batch. */
  runId?: number;
}

const hourMs = 3_600_000;
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
    const key = keyOf(bucket);
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
}

export interface RateModel {
  /** Expected batches per ms at a moment, by its time of day (and weekday or weekend). */
  at(at: number): number;
  /** Batches per ms over the last `recentWindowMs`. */
  recent: number;
  /** Every (weekend?, hour) bucket of a week: its rate and its hours per week. */
  week: { rate: number; hours: number }[];
}

/** The pool's batch rates, learned from the batches seen in [since, now]. */
export function rateModel(input: RateInput): RateModel {
  const { now } = input;
  const past = input.batches.filter((b) => b.at <= now);
  const since = Math.min(input.since ?? past[0]?.at ?? now, now);
  const seen = exposure(since, now);
  const counts = new Map<string, number>();
  const hourCounts = new Array<number>(24).fill(0);
  let total = 0;
  for (const batch of past) {
    if (batch.at < since) continue;
    const key = keyOf(bucketOf(batch.at));
    counts.set(key, (counts.get(key) ?? 0) + 1);
    hourCounts[bucketOf(batch.at).hour]!++;
    total++;
  }
  const overall = total / Math.max(now - since, recentWindowMs);
  const rateOf = (bucket: Bucket): number => {
    const bucketExposure = seen.byBucket.get(keyOf(bucket)) ?? 0;
    if (bucketExposure >= minExposureMs) return (counts.get(keyOf(bucket)) ?? 0) / bucketExposure;
    const hourExposure = seen.byHour[bucket.hour]!;
    if (hourExposure >= minExposureMs) return hourCounts[bucket.hour]! / hourExposure;
    return overall;
  };
  const week: RateModel["week"] = [];
  for (const weekend of [false, true]) for (let hour = 0; hour < 24; hour++) week.push({ rate: rateOf({ hour, weekend }), hours: weekend ? 2 : 5 });
  return {
    at: (at) => rateOf(bucketOf(at)),
    // CI jobs come in clusters (a developer pushes again minutes later, a run's next stage is
    // queued when the first ends), so a batch that just came counts as evidence of more.
    recent: past.filter((b) => b.at > now - recentWindowMs).length / recentWindowMs,
    week,
  };
}

const keyOf = (bucket: Bucket) => `${bucket.weekend}:${bucket.hour}`;

export { hourMs };
