import { readFileSync } from "node:fs";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { main } from "../../../runtime/cli/main.ts";
import type { PoolConfig } from "../../../runtime/config/controller-config.ts";
import { adaptiveTarget } from "../../../runtime/controller/pool-sizing/adaptive-target.ts";
import { parseTrace, replayDay, type TraceJob } from "../../../runtime/ops/pool-simulation/job-trace.ts";
import { simulatePool } from "../../../runtime/ops/pool-simulation/simulate.ts";

const minute = 60_000;
const hour = 60 * minute;
const from = Date.UTC(2026, 10, 25);
const pool = (over: Partial<PoolConfig> = {}): PoolConfig => ({ name: "p", labels: ["self-hosted"], min: 0, max: 10, vcpus: 1, memoryMiB: 1024, ...over });
const job = (at: number, runMs = minute, runId?: number): TraceJob => ({ queuedAt: at, runMs, labels: [], ...(runId === undefined ? {} : { runId }) });
const simulate = (jobs: TraceJob[], p: PoolConfig) => simulatePool({ jobs, from, to: from + 24 * hour, pool: p, bootMs: 30_000, reconcileMs: 15_000 });

describe("simulatePool", () => {
  it.each([
    // jobs, fixed target, cold, idle VM-minutes: one warm VM all day, except while its replacement boots
    ["two jobs far apart, 1 warm", [job(from + hour), job(from + 2 * hour)], 1, 0, 24 * 60 - 1],
    // the second job takes the replacement, so the next replacement is ready a boot later
    ["two jobs at once, 1 warm: the second waits for a boot", [job(from + hour, minute, 1), job(from + hour, minute, 1)], 1, 1, 24 * 60 - 1],
    ["two jobs at once, 2 warm", [job(from + hour, minute, 1), job(from + hour, minute, 1)], 2, 0, 2 * 24 * 60 - 1],
    ["no warm VMs: every job waits, nothing idles", [job(from + hour), job(from + 2 * hour)], 0, 2, 0],
  ])("%s", (_name, jobs, target, cold, idle) => {
    const result = simulate(jobs, pool({ target }));
    expect(result.cold).toBe(cold);
    expect(result.idleVmMinutes).toBeCloseTo(idle, 1);
    expect(result.coldShare).toBeCloseTo(cold / jobs.length, 9);
  });

  it("queued jobs beyond the target get VMs of their own, and none is left over", () => {
    const burst = Array.from({ length: 3 }, () => job(from + hour, minute, 9));
    const result = simulate(burst, pool({ target: 1 }));
    expect(result.cold).toBe(2);
    expect(result.idleVmMinutes).toBeCloseTo(24 * 60 - 1, 1);
  });

  it("an adaptive pool warms up after jobs and falls back to min once it is quiet again", () => {
    const result = simulate([job(from + hour), job(from + 5 * hour)], pool({ sizing: "adaptive", min: 0 }));
    expect(result.cold).toBe(2);
    expect(result.maxTarget).toBeGreaterThan(0);
    expect(result.hours[0]!.meanTarget).toBe(0);
    expect(result.hours.slice(8).every((h) => h.meanTarget === 0 && h.idleVmMinutes === 0)).toBe(true);
    expect(result.idleVmMinutes).toBeLessThan(simulate([job(from + hour), job(from + 5 * hour)], pool({ target: 1 })).idleVmMinutes / 4);
  });
});

describe("job traces", () => {
  it.each([
    ['{"created_at": "yesterday"}', /t:1: created_at: expected an ISO 8601 time/],
    ["not json", /t:1: not a JSON object/],
    ['{"created_at": "2026-11-25T10:00:00Z"}\n{"id": 2}', /t:2: created_at/],
    ["", /t: no jobs/],
  ])("refuses %j naming the line", (text, error) => {
    expect(() => parseTrace(text, "t")).toThrow(error);
  });

  it("takes the run time from started_at and completed_at, 5 minutes without them, and sorts by arrival", () => {
    const jobs = parseTrace(
      [
        '{"created_at": "2026-11-25T10:00:05Z", "started_at": "2026-11-25T10:00:10Z", "completed_at": "2026-11-25T10:02:10Z", "run_id": 4}',
        '{"created_at": "2026-11-25T10:00:00Z"}',
      ].join("\n"),
    );
    expect(jobs.map((j) => [j.queuedAt - from - 10 * hour, j.runMs, j.runId])).toEqual([
      [0, 5 * minute, undefined],
      [5_000, 2 * minute, 4],
    ]);
    expect(replayDay(jobs)).toEqual({ from, to: from + 24 * hour });
    expect(() => replayDay(jobs, "2026-11-24")).toThrow(/no jobs on 2026-11-24/);
  });
});

describe("the shipped synthetic trace", () => {
  const jobs = parseTrace(readFileSync(new URL("../../../examples/traces/synthetic-day.jsonl", import.meta.url), "utf8"));
  const at = (h: number) => {
    const now = from + h * hour;
    const arrivals = jobs.filter((j) => j.queuedAt <= now).slice(-1000).map((j) => ({ at: j.queuedAt, runId: j.runId! }));
    return adaptiveTarget({ arrivals, since: arrivals[0]!.at, now, replenishMs: 30_000, coldStartTarget: 0.05, min: 0, max: 20 });
  };

  it("is a week of history and a weekday to replay", () => {
    expect(replayDay(jobs)).toEqual({ from, to: from + 24 * hour });
    expect(jobs[0]!.queuedAt).toBeLessThan(from - 6 * 24 * hour);
  });

  it("sizes the adaptive pool to min in the quiet night and up in the office-hours peak", () => {
    expect(at(3.5)).toMatchObject({ target: 0, quiet: true });
    expect(at(10.5).target).toBeGreaterThanOrEqual(6);
    expect(at(10.5).weekColdShare).toBeLessThanOrEqual(0.05);
  });
});

describe("fleet simulate", () => {
  const run = async (argv: string[]) => {
    let out = "";
    let err = "";
    const sink = (write: (s: string) => void) => new Writable({ write: (chunk, _e, done) => (write(String(chunk)), done()) });
    const code = await main(["simulate", ...argv], {
      stdout: sink((s) => (out += s)),
      stderr: sink((s) => (err += s)),
      env: {},
      signal: new AbortController().signal,
    });
    return { code, out, err };
  };

  it.each([
    [[], /--trace FILE is required/],
    [["--trace", "/nonexistent/trace.jsonl"], /ENOENT|no such file/],
    [["--trace", "x", "--min", "many"], /--min: expected a number/],
  ])("refuses %j with exit 2", async (argv, error) => {
    const { code, err } = await run(argv);
    expect(code).toBe(2);
    expect(err).toMatch(error);
  });

  it("prints both pools side by side and exits by the verdict", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rf-sim-"));
    const file = join(dir, "t.jsonl");
    const lines = [];
    for (let h = 9; h < 17; h++) lines.push(JSON.stringify({ run_id: h, created_at: new Date(from + h * hour).toISOString() }));
    writeFileSync(file, lines.join("\n") + "\n");
    const { code, out } = await run(["--trace", file, "--max", "3"]);
    expect(out).toMatch(/^fixed 1 +\d+ +0\.0 %/m);
    expect(out).toMatch(/^adaptive, target/m);
    expect(out).toMatch(/target ≥ 30 % fewer at the same or a lower share: (PASS|FAIL)/);
    expect(code).toBe(out.includes(": PASS") ? 0 : 3);
  });
});
