/**
 * The adaptive warm pool's size: the fewest spare VMs that keep the chance of a job waiting for
 * a boot at or under the pool's target, at the demand expected now; within [min, max], and min
 * when it is quiet (fewer than one job expected in the coming hour: a warm VM would wait longer
 * than that for each job it serves). Pure.
 */
import { coldStartChances } from "./cold-start.ts";
import { batchRate, batchSizes, batchesOf, hourMs, type Arrival } from "./demand-rate.ts";

export const quietJobsPerHour = 1;

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
  /** The model's chance that a job waits for a boot with `target` spare VMs. */
  coldStartChance: number;
  quiet: boolean;
}

export function adaptiveTarget(input: AdaptiveInput): AdaptiveTarget {
  const batches = batchesOf(input.arrivals);
  const sizes = batchSizes(batches);
  const rate = batchRate({ batches, now: input.now, aheadMs: input.replenishMs, ...(input.since === undefined ? {} : { since: input.since }) });
  const meanSize = sizes.reduce((sum, f, b) => sum + b * f, 0);
  const jobsPerHour = rate * meanSize * hourMs;
  const chances = coldStartChances(rate * input.replenishMs, sizes, input.max);
  const chanceOf = (k: number) => chances[Math.min(k, chances.length - 1)]!;
  if (jobsPerHour < quietJobsPerHour) return { target: input.min, jobsPerHour, coldStartChance: chanceOf(input.min), quiet: true };
  let k = 0;
  while (k < input.max && chanceOf(k) > input.coldStartTarget) k++;
  const target = Math.min(input.max, Math.max(input.min, k));
  return { target, jobsPerHour, coldStartChance: chanceOf(target), quiet: false };
}
