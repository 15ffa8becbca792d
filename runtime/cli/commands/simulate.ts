/** `fleet simulate --trace FILE`: fixed against adaptive warm pools on a day of jobs (docs/pool-sizing.md). */
import { readFile } from "node:fs/promises";
import { poolSchema } from "../../config/controller-config.ts";
import { parseOrThrow } from "../../config/config-error.ts";
import { defaultColdStartTarget, defaultIdleTimeoutSeconds } from "../../config/pool-sizing-shape.ts";
import { labelsSatisfy } from "../../protocol/labels.ts";
import { comparePools, renderComparison } from "../../ops/pool-simulation/compare.ts";
import { parseTrace, replayDay } from "../../ops/pool-simulation/job-trace.ts";
import type { Command } from "../command.ts";
import { ExitCode, UsageError } from "../exit-codes.ts";
import { parseFlags } from "../flags.ts";

const usage = `usage: fleet simulate --trace FILE [--day YYYY-MM-DD] [--min N] [--max N]
                      [--cold-start-target F] [--idle-timeout S] [--boot-seconds S] [--labels a,b] [--json]

Replays one day of a job trace (JSON lines, one job each: created_at, started_at, completed_at,
run_id, labels; docs/pool-sizing.md) against a fixed and an adaptive warm pool, with the
controller's own sizing rules, and prints each pool's idle VM-minutes and share of cold starts
side by side. Jobs before the day are the history the adaptive pool learns from.

  --trace FILE              the trace (examples/traces/synthetic-day.jsonl is a synthetic one)
  --day YYYY-MM-DD          the UTC day to replay (default: the trace's last)
  --min N, --max N          the pool's bounds (default 0 and 20)
  --cold-start-target F     the chance a job may wait for a boot (default ${defaultColdStartTarget})
  --idle-timeout S          seconds a spare VM waits before the pool shrinks (default ${defaultIdleTimeoutSeconds})
  --boot-seconds S          a VM's modelled time from start to runner online (default 30)
  --reconcile-seconds S     the controller's pass interval (default 15)
  --labels a,b              only jobs a pool with these labels would serve
  --json                    the comparison as JSON

Exit codes: 0 the adaptive pool met the target (≥ 30 % fewer idle VM-minutes at the same or a
lower share of cold starts), 3 it did not, 2 bad flags or trace.`;

function number(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new UsageError(`--${flag}: expected a number, got "${text}"`);
  return value;
}

export const command: Command = {
  summary: "replay a day of jobs against fixed and adaptive warm pools (idle VM-minutes, cold starts)",
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      trace: { type: "string" },
      day: { type: "string" },
      min: { type: "string" },
      max: { type: "string" },
      "cold-start-target": { type: "string" },
      "idle-timeout": { type: "string" },
      "boot-seconds": { type: "string" },
      "reconcile-seconds": { type: "string" },
      labels: { type: "string" },
      json: { type: "boolean" },
    });
    if (!flags.trace) throw new UsageError("--trace FILE is required");
    const labels = flags.labels?.split(",").filter((l) => l !== "") ?? ["self-hosted"];
    const pool = parseOrThrow(
      poolSchema,
      {
        name: "simulated",
        labels,
        min: number("min", flags.min, 0),
        max: number("max", flags.max, 20),
        vcpus: 1,
        memoryMiB: 1024,
        coldStartTarget: number("cold-start-target", flags["cold-start-target"], defaultColdStartTarget),
        idleTimeoutSeconds: number("idle-timeout", flags["idle-timeout"], defaultIdleTimeoutSeconds),
      },
      "pool flags",
    );
    const bootMs = number("boot-seconds", flags["boot-seconds"], 30) * 1000;
    const reconcileMs = number("reconcile-seconds", flags["reconcile-seconds"], 15) * 1000;
    if (bootMs <= 0 || reconcileMs <= 0) throw new UsageError("--boot-seconds and --reconcile-seconds must be above 0");
    let jobs;
    let window;
    try {
      jobs = parseTrace(await readFile(flags.trace, "utf8"), flags.trace);
      if (flags.labels !== undefined) jobs = jobs.filter((job) => labelsSatisfy(labels, job.labels));
      if (jobs.length === 0) throw new Error(`${flags.trace}: no jobs for labels ${labels.join(",")}`);
      window = replayDay(jobs, flags.day);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const comparison = comparePools({ jobs, ...window, pool, bootMs, reconcileMs });
    if (flags.json) io.stdout.write(JSON.stringify(comparison, null, 2) + "\n");
    else {
      io.stdout.write(`replaying ${new Date(window.from).toISOString().slice(0, 10)} (UTC): ${comparison.fixed.result.jobs} jobs, boot ${bootMs / 1000} s, pool ${pool.min}-${pool.max}\n\n`);
      io.stdout.write(renderComparison(comparison));
    }
    return comparison.pass ? ExitCode.ok : ExitCode.degraded;
  },
};
