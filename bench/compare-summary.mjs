// The table of bench/compare-revisions.sh: each figure's median over the rounds, old beside new,
// read from the raw outputs in DIR (bench-<label>-<round>.txt, lab-<label>-<round>.json/.wall).
//   node bench/compare-summary.mjs DIR OLD_COMMIT NEW_COMMIT
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const [dir, oldCommit = "old", newCommit = "new"] = process.argv.slice(2);
if (!dir) {
  console.error("usage: node bench/compare-summary.mjs DIR [OLD_COMMIT NEW_COMMIT]");
  process.exit(2);
}

/** Nearest-rank percentile, as the lab and the bench report them. */
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
};
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Figures of one bench run: its JSON line, and a few lines of its text the JSON lacks. */
function benchFigures(text) {
  const figures = {};
  const json = text.trim().split("\n").reverse().find((line) => line.startsWith("{"));
  if (json) {
    const j = JSON.parse(json);
    Object.assign(figures, {
      "bench: warm pickup p95 (s)": j.pickup_warm_p95_s,
      "bench: cold pickup p95 (s)": j.pickup_cold_p95_s,
      "bench: overhead webhook → running p95 (ms)": j.overhead_e2e_p95_ms,
      "bench: overhead without QEMU's start p95 (ms)": j.overhead_without_qemu_start_p95_ms,
      "bench: QEMU's start p95 (ms)": j.qemu_start_p95_ms,
    });
  }
  const grab = (label, pattern, scale = 1) => {
    const m = pattern.exec(text);
    if (m) figures[label] = Number(m[1]) * scale;
  };
  grab("bench: cold pickup p50 (s)", /cold pickup\s+p50\s+([\d.]+) s/);
  grab("bench: burst queued → first step p50 (s)", /burst: queued → first step\s+p50\s+([\d.]+) s/);
  grab("bench: burst queued → first step p95 (s)", /burst: queued → first step\s+p50\s+[\d.]+ s\s+p95\s+([\d.]+) s/);
  grab("bench: boot, start → runner listening p50 (s)", /boot \(start → runner listening\)\s+p50\s+([\d.]+) s/);
  grab("bench: teardown p50 (ms)", /teardown \(power-off → removed\)\s+p50\s+([\d.]+) ms/);
  grab("bench: virsh start median (ms)", /startDomain\s+median\s+([\d.]+) ms/);
  grab("bench: virsh destroy median (ms)", /destroyDomain\s+median\s+([\d.]+) ms/);
  grab("bench: lab image start → poweroff median (ms)", /start → poweroff, lab image, no JIT config\s+median\s+([\d.]+) ms/);
  grab("bench: jobs that did not succeed", /jobs that did not succeed\s+(\d+) of/);
  return figures;
}

/** Figures of one lab run: its JSON result and the wall time around it. */
function labFigures(json, wallMs) {
  const figures = {};
  if (wallMs !== undefined) figures["lab: wall time (s)"] = wallMs / 1000;
  if (!json) return figures;
  const r = JSON.parse(json);
  const pickups = r.rows.map((row) => row.pickup.firstStepMs).filter((v) => v !== undefined);
  const cold = r.rows.filter((row) => !row.warm).map((row) => row.pickup.firstStepMs).filter((v) => v !== undefined);
  const boots = r.rows.map((row) => row.phasesMs.boot).filter((v) => v !== undefined);
  Object.assign(figures, {
    "lab: total (s)": r.totalMs / 1000,
    "lab: warm pool ready (s)": r.warmReadyMs / 1000,
    "lab: pickup p50 (s)": percentile(pickups, 50) / 1000,
    "lab: pickup p95 (s)": percentile(pickups, 95) / 1000,
    "lab: cold pickup p50 (s)": cold.length ? percentile(cold, 50) / 1000 : undefined,
    "lab: boot p50 (s)": boots.length ? percentile(boots, 50) / 1000 : undefined,
    "lab: jobs not succeeded": r.rows.filter((row) => row.conclusion !== "success").length,
  });
  return figures;
}

const runs = { old: [], new: [] };
for (const file of readdirSync(dir).sort()) {
  const m = /^(bench|lab)-(old|new)-(\d+)\.(txt|json)$/.exec(file);
  if (!m) continue;
  const [, kind, label, round] = m;
  const text = readFileSync(join(dir, file), "utf8");
  let figures;
  try {
    if (kind === "bench") figures = benchFigures(text);
    else {
      const wall = join(dir, `lab-${label}-${round}.wall`);
      figures = labFigures(text.trim() || undefined, existsSync(wall) ? Number(readFileSync(wall, "utf8")) : undefined);
    }
  } catch (error) {
    console.error(`compare: ${file} unreadable (${error.message}); left out`);
    continue;
  }
  runs[label].push(figures);
}

const labels = [...new Set([...runs.old, ...runs.new].flatMap((f) => Object.keys(f)))];
const format = (v) => (v === undefined ? "-" : Number.isInteger(v) ? String(v) : v.toFixed(2));
const column = (label, key) => runs[label].map((f) => f[key]).filter((v) => v !== undefined && Number.isFinite(v));
const width = Math.max(...labels.map((l) => l.length), 10);
console.log(`old ${oldCommit.slice(0, 10)}  against  new ${newCommit.slice(0, 10)}: medians over the rounds (each round's value in brackets)`);
console.log(`${"figure".padEnd(width)}  ${"old".padStart(8)}  ${"new".padStart(8)}   old runs / new runs`);
for (const key of labels) {
  const [o, n] = [column("old", key), column("new", key)];
  console.log(`${key.padEnd(width)}  ${format(median(o)).padStart(8)}  ${format(median(n)).padStart(8)}   [${o.map(format).join(", ")}] / [${n.map(format).join(", ")}]`);
}
