/**
 * The chance that a job waits for a boot, for a pool that keeps `k` spare VMs.
 *
 * Model. Each job that takes a warm VM starts a replacement, ready `window` later (the
 * controller notices, provisions and boots it). So at any moment the pool's k spare VMs are k
 * minus the replacements still under way, one per job taken in the last `window`. Jobs come in
 * batches (the jobs a push queues together), batches arrive as a Poisson process: the jobs
 * taken in a window follow a compound Poisson law. A job finds a ready VM when the jobs taken in
 * the window before it, plus its own batch-mates ahead of it, are fewer than k. (Poisson
 * arrivals see time averages, so this is also the share of jobs that wait.)
 */

/** Probabilities of batch sizes: `sizes[b]` is the chance a batch has b jobs (sizes[0] = 0). */
export type BatchSizes = readonly number[];

/** P(S = n) for n = 0..limit, S compound Poisson with `mean` batches of law `sizes` (Panjer's recursion). */
export function compoundPoisson(mean: number, sizes: BatchSizes, limit: number): number[] {
  const p = [Math.exp(-mean)];
  for (let n = 1; n <= limit; n++) {
    let sum = 0;
    for (let b = 1; b <= Math.min(n, sizes.length - 1); b++) sum += b * (sizes[b] ?? 0) * p[n - b]!;
    p.push((mean / n) * sum);
  }
  return p;
}

/** P(a job has j batch-mates queued before it), j = 0.. : a random job sits in a size-biased batch, at a uniform place. */
export function mateAhead(sizes: BatchSizes): number[] {
  const meanSize = sizes.reduce((sum, f, b) => sum + b * f, 0);
  const q: number[] = [];
  for (let j = 0; j < sizes.length - 1; j++) {
    let tail = 0;
    for (let b = j + 1; b < sizes.length; b++) tail += sizes[b] ?? 0;
    q.push(meanSize > 0 ? tail / meanSize : 0);
  }
  return q;
}

export interface SpareOutlook {
  /** `cold[k]`: the chance that a job finds none of k spare VMs ready. */
  cold: number[];
  /** `idle[k]`: how many of k spare VMs are ready and idle on average: E[(k - S)⁺]. */
  idle: number[];
}

/**
 * For k = 0..limit: the chance that a job finds none of k spare VMs ready, and the idle VMs k
 * spare ones make on average (the others are being replaced). `batches`: expected
 * batches per window; `ahead`: `mateAhead(sizes)`, passed in when sizing many hours at once.
 */
export function spareOutlook(batches: number, sizes: BatchSizes, limit: number, ahead = mateAhead(sizes)): SpareOutlook {
  const law = compoundPoisson(batches, sizes, limit);
  // below[m] = P(S < m)
  const below = [0];
  for (let m = 1; m <= limit; m++) below.push(below[m - 1]! + law[m - 1]!);
  const chances: number[] = [];
  for (let k = 0; k <= limit; k++) {
    let warm = 0;
    for (let j = 0; j < Math.min(k, ahead.length); j++) warm += ahead[j]! * below[k - j]!;
    chances.push(Math.min(1, Math.max(0, 1 - warm)));
  }
  const idle = [0];
  // E[(k+1 - S)⁺] = E[(k - S)⁺] + P(S ≤ k)
  for (let k = 1; k <= limit; k++) idle.push(idle[k - 1]! + below[k]!);
  return { cold: chances, idle };
}
