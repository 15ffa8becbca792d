/**
 * The adaptive warm pool's size. Pure.
 *
 * The target is a share of all the pool's jobs: at most `coldStartTarget` of them should wait
 * for a boot. The cheapest way there puts warm VMs where they avoid the most cold starts per
 * idle VM-hour, so each hour the pool weighs k spare VMs against the cold starts they leave:
 *   cost(k) = E[idle VMs | k] + worth × jobs per hour × P(a job waits | k)      (cold-start.ts)
 * where `worth` is how many idle VM-hours one cold start is worth. (Spare VMs being replaced
 * are not idle: under a load that keeps them all booting, more of them cost nothing.) The pool finds the smallest worth
 * at which a week of its learned demand meets the target (a Lagrange multiplier), then keeps the
 * k in [min, max] that costs least at the demand expected now. Busy hours get VMs cheaply; in a
 * quiet hour a warm VM would wait hours for each job it serves, so the pool falls to min (and
 * with under one job expected an hour it is min outright).
 */
import { mateAhead, spareOutlook, type BatchSizes, type SpareOutlook } from "./cold-start.ts";
import { batchSizes, batchesOf, hourMs, rateModel, type Arrival } from "./demand-rate.ts";

export const quietJobsPerHour = 1;
const worthBounds = { low: 1e-4, high: 1e6 };

export interface AdaptiveInput {
  arrivals: readonly Arrival[];
  /** Where the history starts (epoch ms); defaults to the first arrival. */
  since?: number;
  now: number;
  /** From a warm VM taken to its replacement ready: notice, provision, boot. */
  replenishMs: number;
  coldStartTarget: number;
  min: number;
  max: number;
}

export interface AdaptiveTarget {
  target: number;
  /** Jobs per hour the pool expects now. */
  jobsPerHour: number;
  /** The model's chance that a job arriving now waits for a boot with `target` spare VMs. */
  coldStartChance: number;
  /** The model's share of a week's jobs outside quiet hours that wait, sized this way (at most the target unless max prevents it). */
  weekColdShare: number;
  quiet: boolean;
}

interface Hour extends SpareOutlook {
  jobsPerHour: number;
}

export function adaptiveTarget(input: AdaptiveInput): AdaptiveTarget {
  const { min, max, now, replenishMs } = input;
  const batches = batchesOf(input.arrivals);
  const sizes = batchSizes(batches);
  const rates = rateModel({ batches, now, ...(input.since === undefined ? {} : { since: input.since }) });
  const ahead = mateAhead(sizes);
  const hourOf = (batchRate: number): Hour => ({ jobsPerHour: batchRate * meanOf(sizes) * hourMs, ...spareOutlook(batchRate * replenishMs, sizes, max, ahead) });
  const week = rates.week.map((bucket) => ({ ...hourOf(bucket.rate), hours: bucket.hours }));
  const worth = smallestWorth(week, input);
  const current = hourOf(Math.max(rates.at(now), rates.at(now + replenishMs), rates.recent));
  const target = bestSize(current, worth, min, max);
  return {
    target,
    jobsPerHour: current.jobsPerHour,
    coldStartChance: current.cold[target]!,
    weekColdShare: weekShare(week, worth, min, max),
    quiet: current.jobsPerHour < quietJobsPerHour,
  };
}

/** The k in [min, max] of least cost (the largest on a tie: more VMs that are never idle cost nothing); min when quiet. */
function bestSize(hour: Hour, worth: number, min: number, max: number): number {
  if (hour.jobsPerHour < quietJobsPerHour) return min;
  let best = min;
  let bestCost = Infinity;
  for (let k = min; k <= max; k++) {
    const cost = hour.idle[k]! + worth * hour.jobsPerHour * hour.cold[k]!;
    if (cost <= bestCost + 1e-9 * (1 + Math.abs(bestCost))) [best, bestCost] = [k, Math.min(cost, bestCost)];
  }
  return best;
}

/** Share of a week's expected jobs that wait, each hour sized at this worth. Quiet hours are min by rule: left out. */
function weekShare(week: readonly (Hour & { hours: number })[], worth: number, min: number, max: number): number {
  let jobs = 0;
  let cold = 0;
  for (const hour of week) {
    if (hour.jobsPerHour < quietJobsPerHour) continue;
    jobs += hour.jobsPerHour * hour.hours;
    cold += hour.jobsPerHour * hour.hours * hour.cold[bestSize(hour, worth, min, max)]!;
  }
  return jobs === 0 ? 0 : cold / jobs;
}

/** The smallest worth (bisected on a log scale) whose week meets the target; the largest tried when none does. */
function smallestWorth(week: readonly (Hour & { hours: number })[], input: AdaptiveInput): number {
  const meets = (worth: number) => weekShare(week, worth, input.min, input.max) <= input.coldStartTarget;
  let { low, high } = worthBounds;
  if (meets(low)) return low;
  if (!meets(high)) return high;
  for (let i = 0; i < 50; i++) {
    const mid = Math.sqrt(low * high);
    if (meets(mid)) high = mid;
    else low = mid;
  }
  return high;
}

function meanOf(sizes: BatchSizes): number {
  return sizes.reduce((sum, f, b) => sum + b * f, 0);
}
