/**
 * Fixed against adaptive on one trace.
 *
 * The fixed pool compared is the smallest fixed size whose share of cold starts on the replayed
 * day is at or under the pool's cold-start target: the cheapest fixed pool that meets the
 * target, chosen knowing the day (no operator can do better with a fixed size). Being a whole
 * number of VMs, it usually does better than the target. So the adaptive pool is then asked for
 * the share the fixed pool reached, and the two are compared at that same quality: the target
 * is met when the adaptive pool needs at least 30 % fewer idle VM-minutes at the same or a lower
 * share of cold starts. The adaptive pool asked for the plain target, and every fixed size up to
 * max, are shown beside them.
 */
import type { PoolConfig } from "../../config/controller-config.ts";
import { poolSizingSettings } from "../../config/pool-sizing-shape.ts";
import { renderTable } from "../table.ts";
import { simulatePool, type SimulationInput, type SimulationResult } from "./simulate.ts";

/** The target the adaptive pool must meet against the fixed one. */
export const minIdleSavingPct = 30;

/** A simulation's input; the pool's `sizing` (and target) is set to each side's in turn. */
export type ComparisonInput = SimulationInput;

export interface Comparison {
  coldStartTarget: number;
  fixed: { size: number; result: SimulationResult };
  /** Adaptive, asked for the fixed pool's share of cold starts: the comparison. */
  adaptive: { coldStartTarget: number; result: SimulationResult };
  /** Adaptive, asked for the pool's own target. */
  adaptiveAtTarget: SimulationResult;
  /** Every fixed size min..max. */
  fixedSizes: { size: number; result: SimulationResult }[];
  idleSavingPct: number;
  pass: boolean;
}

export function comparePools(input: ComparisonInput): Comparison {
  const { pool } = input;
  const coldStartTarget = poolSizingSettings(pool).coldStartTarget;
  const run = (p: PoolConfig) => simulatePool({ ...input, pool: p });
  const fixedSizes: Comparison["fixedSizes"] = [];
  for (let size = pool.min; size <= pool.max; size++) fixedSizes.push({ size, result: run({ ...pool, sizing: "fixed", target: size }) });
  const fixed = fixedSizes.find((f) => f.result.coldShare <= coldStartTarget) ?? fixedSizes[fixedSizes.length - 1]!;
  const asked = Math.min(coldStartTarget, Math.max(0.001, fixed.result.coldShare));
  const adaptive = { coldStartTarget: asked, result: run({ ...pool, sizing: "adaptive", coldStartTarget: asked }) };
  const adaptiveAtTarget = asked === coldStartTarget ? adaptive.result : run({ ...pool, sizing: "adaptive", coldStartTarget });
  const idleSavingPct = fixed.result.idleVmMinutes > 0 ? (1 - adaptive.result.idleVmMinutes / fixed.result.idleVmMinutes) * 100 : 0;
  const pass = idleSavingPct >= minIdleSavingPct && adaptive.result.coldShare <= fixed.result.coldShare;
  return { coldStartTarget, fixed, adaptive, adaptiveAtTarget, fixedSizes, idleSavingPct, pass };
}

const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
const minutes = (value: number) => `${Math.round(value)}`;
const headers = ["POOL", "IDLE VM-MIN", "COLD STARTS", "COLD JOBS", "BOOT VM-MIN", "WARM TARGET MEAN"];
const row = (name: string, r: SimulationResult) => [name, minutes(r.idleVmMinutes), pct(r.coldShare), `${r.cold} of ${r.jobs}`, minutes(r.bootVmMinutes), `${r.meanTarget.toFixed(1)} (max ${r.maxTarget})`];

export function renderComparison(c: Comparison): string {
  const out = [
    renderTable(headers, [
      row(`fixed ${c.fixed.size}`, c.fixed.result),
      row(`adaptive, target ${pct(c.adaptive.coldStartTarget)}`, c.adaptive.result),
      ...(c.adaptiveAtTarget === c.adaptive.result ? [] : [row(`adaptive, target ${pct(c.coldStartTarget)}`, c.adaptiveAtTarget)]),
    ]),
    `fixed ${c.fixed.size}: the smallest fixed pool with at most ${pct(c.coldStartTarget)} cold starts on this day; ` +
      `the adaptive pool compared is asked for the share it reached (${pct(c.adaptive.coldStartTarget)})`,
    "",
    "by hour (UTC): jobs, cold starts and idle VM-minutes, fixed | adaptive (warm target)",
    renderTable(
      ["HOUR", "JOBS", "FIXED COLD", "FIXED IDLE", "ADAPTIVE COLD", "ADAPTIVE IDLE", "ADAPTIVE TARGET"],
      c.fixed.result.hours.map((h, i) => {
        const a = c.adaptive.result.hours[i] ?? { cold: 0, idleVmMinutes: 0, meanTarget: 0 };
        return [String(i).padStart(2, "0"), String(h.jobs), String(h.cold), minutes(h.idleVmMinutes), String(a.cold), minutes(a.idleVmMinutes), a.meanTarget.toFixed(1)];
      }),
    ),
    "every fixed size:",
    renderTable(headers, c.fixedSizes.map((f) => row(`fixed ${f.size}`, f.result))),
    `adaptive: ${c.idleSavingPct.toFixed(1)} % fewer idle VM-minutes, cold starts ${pct(c.adaptive.result.coldShare)} against ${pct(c.fixed.result.coldShare)}` +
      `   target ≥ ${minIdleSavingPct} % fewer at the same or a lower share: ${c.pass ? "PASS" : "FAIL"}`,
  ];
  return out.join("\n") + "\n";
}
