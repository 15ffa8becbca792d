/** The lab's printed report: one row of phase timings per job, percentiles and the leak check. */
import { percentile } from "../observability/percentiles.ts";
import type { Phase } from "../controller/phase-durations.ts";
import type { Leaks } from "./leak-check.ts";
import { leakCount } from "./leak-check.ts";

export interface JobRow {
  job: string;
  runner: string;
  conclusion: string;
  /** Queued on GitHub → started on a runner (emulator clock, milliseconds). */
  queueWaitMs: number | undefined;
  /** Whether a warm (already online) runner took it. */
  warm: boolean;
  phasesMs: Partial<Record<Phase, number>>;
}

const columns: { title: string; phase?: Phase; width: number }[] = [
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

export function renderJobTable(rows: readonly JobRow[]): string {
  const jobWidth = Math.max(3, ...rows.map((r) => r.job.length)) + 2;
  const runnerWidth = Math.max(6, ...rows.map((r) => r.runner.length)) + 2;
  const header =
    "job".padEnd(jobWidth) +
    "runner".padEnd(runnerWidth) +
    "pickup".padEnd(7) +
    "wait".padStart(8) +
    columns.map((c) => c.title.padStart(c.width)).join("") +
    "  result";
  const lines = rows.map(
    (r) =>
      r.job.padEnd(jobWidth) +
      r.runner.padEnd(runnerWidth) +
      (r.warm ? "warm" : "cold").padEnd(7) +
      formatSeconds(r.queueWaitMs).padStart(8) +
      columns.map((c) => formatSeconds(c.phase ? r.phasesMs[c.phase] : undefined).padStart(c.width)).join("") +
      `  ${r.conclusion}`,
  );
  return [header, "-".repeat(header.length), ...lines].join("\n");
}

export function renderSummary(rows: readonly JobRow[], leaks: Leaks): string {
  const waitsOf = (subset: readonly JobRow[]) => subset.map((r) => r.queueWaitMs).filter((w): w is number => w !== undefined);
  const waits = waitsOf(rows);
  const byPickup = (warm: boolean) => waitsOf(rows.filter((r) => r.warm === warm));
  const line = (label: string, values: number[]) =>
    `${label.padEnd(22)}p50 ${formatSeconds(percentile(values, 50)).padStart(7)}   p95 ${formatSeconds(percentile(values, 95)).padStart(7)}   (${values.length} jobs)`;
  const total = leakCount(leaks);
  return [
    line("queue wait", waits),
    line("  warm pickups", byPickup(true)),
    line("  cold pickups", byPickup(false)),
    `leak check             domains ${leaks.domains.length}, overlays ${leaks.overlays.length}, runners ${leaks.runners.length}, secrets ${leaks.secrets.length}: ${total === 0 ? "nothing left" : "LEAKED"}`,
  ].join("\n");
}
