/** The lab's printed report: one row of phase timings per job, percentiles and the leak check. */
import { percentile } from "../observability/percentiles.ts";
import type { Phase } from "../controller/phase-durations.ts";
import type { Pickup } from "./job-pickup.ts";
import type { Leaks } from "./leak-check.ts";
import { leakCount } from "./leak-check.ts";

export interface JobRow {
  job: string;
  runner: string;
  conclusion: string;
  /** Queued → first step started in the guest, and its sub-phase queued → handed out. */
  pickup: Pickup;
  /** Whether a warm (already online) runner took it. */
  warm: boolean;
  phasesMs: Partial<Record<Phase, number>>;
}

const columns: { title: string; phase?: Phase; width: number }[] = [
  { title: "intake", phase: "intake", width: 7 },
  { title: "jit", phase: "jit", width: 7 },
  { title: "overlay", phase: "overlay", width: 8 },
  { title: "define", phase: "define", width: 7 },
  { title: "start", phase: "start", width: 7 },
  { title: "boot", phase: "boot", width: 7 },
  { title: "idle", phase: "idle", width: 7 },
  { title: "run", phase: "run", width: 7 },
  { title: "poweroff", phase: "poweroff", width: 9 },
  { title: "teardown", phase: "teardown", width: 9 },
];

export function formatSeconds(ms: number | undefined): string {
  if (ms === undefined) return "-";
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** A clock offset: positive when the guest's clock is behind the host's. */
export function formatOffset(ms: number | undefined): string {
  if (ms === undefined) return "-";
  const rounded = Math.round(ms / 10) / 100;
  return `${rounded < 0 ? "-" : "+"}${Math.abs(rounded).toFixed(2)}s`;
}

export function renderJobTable(rows: readonly JobRow[]): string {
  const jobWidth = Math.max(3, ...rows.map((r) => r.job.length)) + 2;
  const runnerWidth = Math.max(6, ...rows.map((r) => r.runner.length)) + 2;
  const header =
    "job".padEnd(jobWidth) +
    "runner".padEnd(runnerWidth) +
    "pickup".padEnd(7) +
    "to step".padStart(8) +
    "handout".padStart(8) +
    "behind".padStart(8) +
    columns.map((c) => c.title.padStart(c.width)).join("") +
    "  result";
  const lines = rows.map(
    (r) =>
      r.job.padEnd(jobWidth) +
      r.runner.padEnd(runnerWidth) +
      (r.warm ? "warm" : "cold").padEnd(7) +
      formatSeconds(r.pickup.firstStepMs).padStart(8) +
      formatSeconds(r.pickup.handedOutMs).padStart(8) +
      formatOffset(r.pickup.clock?.offsetMs).padStart(8) +
      columns.map((c) => formatSeconds(c.phase ? r.phasesMs[c.phase] : undefined).padStart(c.width)).join("") +
      `  ${r.conclusion}`,
  );
  return [header, "-".repeat(header.length), ...lines].join("\n");
}

export function renderSummary(rows: readonly JobRow[], leaks: Leaks): string {
  const of = (subset: readonly JobRow[], pick: (r: JobRow) => number | undefined) => subset.map(pick).filter((w): w is number => w !== undefined);
  const toStep = (r: JobRow) => r.pickup.firstStepMs;
  const byPickup = (warm: boolean) => of(rows.filter((r) => r.warm === warm), toStep);
  const line = (label: string, values: number[]) =>
    `${label.padEnd(30)}p50 ${formatSeconds(percentile(values, 50)).padStart(7)}   p95 ${formatSeconds(percentile(values, 95)).padStart(7)}   (${values.length} jobs)`;
  const total = leakCount(leaks);
  const skews = of(rows, (r) => r.pickup.clock?.offsetMs);
  const roundTrip = Math.max(0, ...of(rows, (r) => r.pickup.clock?.roundTripMs));
  const clamped = rows.filter((r) => r.pickup.clamped).length;
  return [
    line("pickup (queued → first step)", of(rows, toStep)),
    line("  warm pickups", byPickup(true)),
    line("  cold pickups", byPickup(false)),
    line("  queued → handed out", of(rows, (r) => r.pickup.handedOutMs)),
    `guest clock behind the host   ${skews.length === 0 ? "not reported" : `${formatOffset(Math.min(...skews))} to ${formatOffset(Math.max(...skews))} (± ${Math.round(roundTrip / 2)} ms), corrected for`}` +
      (clamped > 0 ? `; ${clamped} start(s) fell before the hand-out within the estimate's error and were set to it` : ""),
    `leak check                    domains ${leaks.domains.length}, overlays ${leaks.overlays.length}, runners ${leaks.runners.length}, secrets ${leaks.secrets.length}: ${total === 0 ? "nothing left" : "LEAKED"}`,
  ].join("\n");
}
