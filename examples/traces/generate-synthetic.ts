/**
 * Writes examples/traces/synthetic-day.jsonl, the trace `fleet simulate` and the bench replay:
 * `npx tsx examples/traces/generate-synthetic.ts [--seed 42] > examples/traces/synthetic-day.jsonl`
 *
 * One team's jobs on one pool, in UTC, over 8 days: the 7 days before Wednesday 2026-11-25 (the
 * history an adaptive pool learns from) and that Wednesday (the day replayed). Seeded, so the
 * file is reproducible. The model (docs/pool-sizing.md#the-synthetic-trace):
 * - Work sessions arrive as a Poisson process whose rate follows office hours on weekdays (6 an
 *   hour 9-12 and 13-17, fewer around them, a lunch dip, 0.1 an hour at night), 0.3 an hour in
 *   weekend days. A session is a developer pushing 1 + Geometric(0.55) times, minutes apart.
 * - Each push starts a run: 1-6 jobs queued together; 40 % of runs have a second stage of 1-2
 *   jobs queued when the first stage has finished (`needs:`).
 * - Bursts: on 60 % of weekdays a merge train at 15:00-16:00, 5 pushes within 10 minutes.
 * - A scheduled run of 6 jobs every night at 02:00.
 * - Job run times are log-normal, median 4 minutes, from 20 s to 60 minutes.
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { seed: { type: "string", default: "42" } } });
let state = Number(values.seed) >>> 0;
/** mulberry32: small, seeded, good enough for a workload. */
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const exponential = (mean: number) => -Math.log(1 - random()) * mean;
function poisson(mean: number): number {
  let n = 0;
  for (let t = exponential(1); t < mean; t += exponential(1)) n++;
  return n;
}
function pick<T>(choices: readonly (readonly [T, number])[]): T {
  let r = random();
  for (const [value, p] of choices) if ((r -= p) < 0) return value;
  return choices[choices.length - 1]![0];
}
function runTimeMs(): number {
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.min(60 * 60_000, Math.max(20_000, 4 * 60_000 * Math.exp(0.8 * normal)));
}

const minute = 60_000;
const hour = 60 * minute;
const weekdaySessions = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 1, 3, 6, 6, 6, 3, 6, 6, 6, 6, 3, 1, 1, 0.3, 0.3, 0.3, 0.1];
const weekendSessions = (h: number) => (h >= 10 && h < 20 ? 0.3 : 0.05);
const labels = ["self-hosted", "linux", "x64"];
const first = Date.UTC(2026, 10, 18);
const days = 8;

interface Job {
  run: number;
  at: number;
  runMs: number;
}
const jobs: Job[] = [];
let run = 5_000_000;

function push(at: number, firstStage?: number): void {
  const id = ++run;
  const size = firstStage ?? pick([[1, 0.25], [2, 0.2], [3, 0.2], [4, 0.2], [6, 0.15]] as const);
  let stageEnd = at;
  for (let i = 0; i < size; i++) {
    const runMs = runTimeMs();
    jobs.push({ run: id, at: at + Math.round(random() * 2000), runMs });
    stageEnd = Math.max(stageEnd, at + runMs);
  }
  if (firstStage === undefined && random() < 0.4) {
    const second = pick([[1, 0.6], [2, 0.4]] as const);
    for (let i = 0; i < second; i++) jobs.push({ run: id, at: stageEnd + 30_000 + Math.round(random() * 2000), runMs: runTimeMs() });
  }
}

for (let d = 0; d < days; d++) {
  const start = first + d * 24 * hour;
  const weekday = new Date(start).getUTCDay();
  const weekend = weekday === 0 || weekday === 6;
  for (let h = 0; h < 24; h++) {
    const sessions = poisson(weekend ? weekendSessions(h) : weekdaySessions[h]!);
    for (let s = 0; s < sessions; s++) {
      let at = start + h * hour + random() * hour;
      const pushes = 1 + Math.floor(Math.log(1 - random()) / Math.log(0.45));
      for (let p = 0; p < pushes; p++, at += 2 * minute + exponential(7 * minute)) push(Math.round(at));
    }
  }
  if (!weekend && random() < 0.6) {
    const train = start + 15 * hour + random() * 50 * minute;
    for (let p = 0; p < 5; p++) push(Math.round(train + random() * 10 * minute));
  }
  push(start + 2 * hour, 6);
}

jobs.sort((a, b) => a.at - b.at);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
let id = 90_000_000;
const lines = jobs.map((job) => {
  const started = job.at + 5_000 + Math.round(random() * 30_000);
  return JSON.stringify({ id: ++id, run_id: job.run, labels, created_at: iso(job.at), started_at: iso(started), completed_at: iso(started + job.runMs) });
});
process.stdout.write(lines.join("\n") + "\n");
