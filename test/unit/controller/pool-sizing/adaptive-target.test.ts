import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { adaptiveTarget, type AdaptiveInput } from "../../../../runtime/controller/pool-sizing/adaptive-target.ts";
import { compoundPoisson, spareOutlook } from "../../../../runtime/controller/pool-sizing/cold-start.ts";
import { batchesOf, rateModel, type Arrival } from "../../../../runtime/controller/pool-sizing/demand-rate.ts";

const hour = 3_600_000;
const minute = 60_000;
// Wednesday 2026-11-25 00:00 UTC: a weekday, so a week before it is all history.
const day = Date.UTC(2026, 10, 25);

/** `perHour` single-job arrivals, evenly spread, in [from, to). */
function steady(from: number, to: number, perHour: number, firstRun = 1): Arrival[] {
  const out: Arrival[] = [];
  const gap = hour / perHour;
  for (let at = from, run = firstRun; at < to; at += gap, run++) out.push({ at: Math.round(at), runId: run });
  return out;
}

const input = (over: Partial<AdaptiveInput>): AdaptiveInput => ({
  arrivals: [],
  now: day + 12 * hour,
  replenishMs: minute,
  coldStartTarget: 0.05,
  min: 0,
  max: 20,
  ...over,
});

describe("cold-start model", () => {
  it("reduces to Poisson when every batch is one job: P(wait with k spare) = P(N ≥ k)", () => {
    // N ~ Poisson(2): P(N ≥ 1) = 1 - e^-2, P(N ≥ 2) = 1 - 3e^-2
    const chances = spareOutlook(2, [0, 1], 4).cold;
    expect(chances[0]).toBe(1);
    expect(chances[1]).toBeCloseTo(1 - Math.exp(-2), 12);
    expect(chances[2]).toBeCloseTo(1 - 3 * Math.exp(-2), 12);
  });

  it("idle spare VMs: E[(k - N)⁺], N Poisson", () => {
    // mean 1: E[(2 - N)⁺] = 2 P(0) + 1 P(1) = 3/e
    expect(spareOutlook(1, [0, 1], 3).idle[2]).toBeCloseTo(3 / Math.E, 12);
    // under a load that keeps every spare VM booting, none is idle
    expect(spareOutlook(500, [0, 1], 5).idle[5]).toBeLessThan(1e-9);
  });

  it("Panjer's recursion gives a probability law", () => {
    const law = compoundPoisson(3, [0, 0.5, 0.3, 0.2], 80);
    expect(law.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it("counts batch-mates: a job in a batch of 4 needs up to 4 spare VMs even when batches are rare", () => {
    const chances = spareOutlook(1e-9, [0, 0, 0, 0, 1], 6).cold;
    // the 1st, 2nd, 3rd, 4th job of the batch need 1, 2, 3, 4 spare VMs
    expect(chances.slice(0, 6).map((c) => Number(c.toFixed(6)))).toEqual([1, 0.75, 0.5, 0.25, 0, 0]);
  });
});

describe("demand rate", () => {
  it("groups a run's jobs queued together into one batch, and a later stage of it into another", () => {
    const batches = batchesOf([
      { at: 0, runId: 7 },
      { at: 2_000, runId: 7 },
      { at: 3_000, runId: 8 },
      { at: 300_000, runId: 7 },
      { at: 301_000 },
    ]);
    expect(batches.map((b) => b.size)).toEqual([2, 1, 1, 1]);
  });

  it.each([
    ["a busy weekday hour", day + 10 * hour, 30],
    ["a quiet weekday night hour", day + 3 * hour, 2],
  ])("learns the rate of %s from the week before", (_name, now, perHour) => {
    const arrivals: Arrival[] = [];
    for (let d = 7; d >= 1; d--) {
      const start = day - d * 24 * hour;
      arrivals.push(...steady(start, start + 8 * hour, 2, d * 10_000), ...steady(start + 8 * hour, start + 18 * hour, 30, d * 10_000 + 1000));
      arrivals.push(...steady(start + 18 * hour, start + 24 * hour, 2, d * 10_000 + 5000));
    }
    // weekends in that week get the same shape here; the rate is per hour of day
    const rate = rateModel({ batches: batchesOf(arrivals), since: day - 7 * 24 * hour, now }).at(now) * hour;
    expect(rate).toBeCloseTo(perHour, 0);
  });

  it("reads the last quarter hour's rate beside the time of day's", () => {
    const burst = steady(day + 3 * hour - 10 * minute, day + 3 * hour, 60);
    const model = rateModel({ batches: batchesOf(burst), since: day - 7 * 24 * hour, now: day + 3 * hour });
    expect(model.recent * hour).toBeCloseTo(10 * 4, 0); // 10 batches in 15 minutes
    expect(model.at(day + 3 * hour) * hour).toBeLessThan(1); // a quiet hour of a week's history
  });
});

describe("adaptiveTarget", () => {
  const week = (perHour: number) => steady(day - 7 * 24 * hour, day + 12 * hour, perHour);

  it.each([
    // jobs/hour, replenish window, target: single jobs at one steady rate, so N (jobs in a
    // window) is Poisson, every hour alike, and the week's share is the share of every hour
    [60, minute, 0.05],
    [60, minute, 0.2],
    [6, minute, 0.05],
    [120, 3 * minute, 0.01],
    [600, minute, 0.05],
  ])("%d jobs/h, replenish %d ms, target %d: the smallest k with P(N ≥ k) ≤ target", (perHour, replenishMs, target) => {
    const result = adaptiveTarget(input({ arrivals: week(perHour), since: day - 7 * 24 * hour, replenishMs, coldStartTarget: target }));
    const mean = (perHour * replenishMs) / hour;
    const tail = (k: number) => 1 - Array.from({ length: k }, (_, n) => (Math.exp(-mean) * mean ** n) / factorial(n)).reduce((a, b) => a + b, 0);
    let expected = 0;
    while (tail(expected) > target) expected++;
    expect(result.target).toBe(expected);
    expect(result.jobsPerHour).toBeCloseTo(perHour, 0);
    expect(result.weekColdShare).toBeLessThanOrEqual(target);
  });

  it("puts warm VMs in the busy hours: quiet nights fall to min, and the week still meets the target", () => {
    const arrivals: Arrival[] = [];
    for (let d = 7; d >= 1; d--) {
      const start = day - d * 24 * hour;
      arrivals.push(...steady(start + 9 * hour, start + 17 * hour, 60, d * 10_000), ...steady(start, start + 9 * hour, 0.5, d * 10_000 + 5000));
    }
    const at = (h: number) => adaptiveTarget(input({ arrivals, since: day - 7 * 24 * hour, now: day + h * hour }));
    expect(at(3)).toMatchObject({ target: 0, quiet: true });
    expect(at(12).target).toBeGreaterThanOrEqual(3);
    expect(at(12).weekColdShare).toBeLessThanOrEqual(0.05);
  });

  it("falls to min when quiet (under one job an hour), and to min with no history", () => {
    expect(adaptiveTarget(input({ arrivals: week(0.5), since: day - 7 * 24 * hour, min: 1 })).target).toBe(1);
    expect(adaptiveTarget(input({ arrivals: [], min: 2 }))).toMatchObject({ target: 2, quiet: true });
  });

  it("is capped at max", () => {
    expect(adaptiveTarget(input({ arrivals: week(6000), since: day - 7 * 24 * hour, max: 5 })).target).toBe(5);
  });

  const arbitrary = fc.record({
    perHour: fc.double({ min: 0, max: 2000, noNaN: true }),
    batch: fc.integer({ min: 1, max: 8 }),
    replenishMs: fc.integer({ min: 1_000, max: 5 * minute }),
    target: fc.double({ min: 0.001, max: 0.5, noNaN: true }),
    min: fc.nat(4),
    extra: fc.nat(30),
  });
  const sized = (a: { perHour: number; batch: number; replenishMs: number; target: number; min: number; extra: number }) => {
    const runs = a.perHour > 0 ? steady(day + 11 * hour, day + 12 * hour, a.perHour) : [];
    const arrivals = runs.flatMap((r) => Array.from({ length: a.batch }, () => r));
    return adaptiveTarget(input({ arrivals, since: day + 11 * hour, replenishMs: a.replenishMs, coldStartTarget: a.target, min: a.min, max: Math.max(1, a.min + a.extra) }));
  };

  it("never goes below min or above max; quiet means min", () => {
    fc.assert(
      fc.property(arbitrary, (a) => {
        const result = sized(a);
        expect(result.target).toBeGreaterThanOrEqual(a.min);
        expect(result.target).toBeLessThanOrEqual(Math.max(1, a.min + a.extra));
        if (result.quiet) expect(result.target).toBe(a.min);
        // unless max prevents it, the week's modelled share meets the cold-start target
        if (!result.quiet && result.target < Math.max(1, a.min + a.extra)) expect(result.weekColdShare).toBeLessThanOrEqual(a.target + 1e-9);
      }),
    );
  });

  it("is monotone in the arrival rate and in the target", () => {
    fc.assert(
      fc.property(arbitrary, fc.double({ min: 1, max: 4, noNaN: true }), fc.double({ min: 0.1, max: 1, noNaN: true }), (a, more, tighter) => {
        expect(sized({ ...a, perHour: a.perHour * more }).target).toBeGreaterThanOrEqual(sized(a).target);
        expect(sized({ ...a, target: a.target * tighter }).target).toBeGreaterThanOrEqual(sized(a).target);
      }),
    );
  });
});

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}
