/**
 * The adaptive warm pool against a fixed one on the shipped synthetic trace (no VMs): the same
 * comparison as `fleet simulate --trace examples/traces/synthetic-day.jsonl`, with its defaults.
 * Runs first in the bench, and with `--json` prints its keys on a line of their own at once, so
 * they are there even when the VM part of the bench fails; the final JSON object repeats them.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseControllerConfig } from "../runtime/config/controller-config.ts";
import { comparePools, minIdleSavingPct } from "../runtime/ops/pool-simulation/compare.ts";
import { parseTrace, replayDay } from "../runtime/ops/pool-simulation/job-trace.ts";

const trace = "examples/traces/synthetic-day.jsonl";
const pool = { name: "bench", labels: ["self-hosted"], min: 0, max: 20, vcpus: 1, memoryMiB: 1024, coldStartTarget: 0.05, idleTimeoutSeconds: 60 };
const bootMs = 30_000;
const reconcileMs = 15_000;

export interface PoolSizingBench {
  keys: { adaptive_idle_saving_pct: number; adaptive_cold_share_pct: number; fixed_cold_share_pct: number };
  ok: boolean;
}

export async function poolSizingBench(say: (line: string) => void, json: boolean): Promise<PoolSizingBench> {
  const file = resolve(dirname(process.argv[1]!), "..", trace);
  const jobs = parseTrace(await readFile(file, "utf8"), trace);
  const window = replayDay(jobs);
  // The pool goes through the controller's own config parser, as a user's would.
  const [checked] = parseControllerConfig({
    host: { name: "bench", vcpus: 64, memoryMiB: 65536 },
    github: { scope: { kind: "org", org: "bench" }, repositories: ["bench/bench"], runnerGroupId: 1, auth: { kind: "token", token: "x".repeat(40) } },
    pools: [pool],
    image: { base: "/unused.qcow2", boot: { kind: "disk" } },
    network: { kind: "libvirt-network", network: "unused" },
  }).pools;
  const c = comparePools({ jobs, ...window, pool: checked!, bootMs, reconcileMs });
  const pct = (share: number) => Number((share * 100).toFixed(1));
  const keys = {
    adaptive_idle_saving_pct: Number(c.idleSavingPct.toFixed(1)),
    adaptive_cold_share_pct: pct(c.adaptive.result.coldShare),
    fixed_cold_share_pct: pct(c.fixed.result.coldShare),
  };
  say("");
  say(`adaptive warm pool (${trace}, ${new Date(window.from).toISOString().slice(0, 10)}: ${c.fixed.result.jobs} jobs; boot ${bootMs / 1000} s; pool 0-20; no VMs)`);
  say(`  fixed ${c.fixed.size} (smallest fixed pool with ≤ 5 % cold starts)   idle ${Math.round(c.fixed.result.idleVmMinutes)} VM-min   cold starts ${keys.fixed_cold_share_pct} %`);
  say(`  adaptive, asked for ${pct(c.adaptive.coldStartTarget)} %             idle ${Math.round(c.adaptive.result.idleVmMinutes)} VM-min   cold starts ${keys.adaptive_cold_share_pct} %`);
  say(`  adaptive, asked for 5 %                  idle ${Math.round(c.adaptiveAtTarget.idleVmMinutes)} VM-min   cold starts ${pct(c.adaptiveAtTarget.coldShare)} %`);
  say(
    `  idle VM-minutes saved                    ${keys.adaptive_idle_saving_pct} %   target ≥ ${minIdleSavingPct} % at the same or a lower share of cold starts: ${c.pass ? "PASS" : "FAIL"}`,
  );
  if (json) say(JSON.stringify(keys));
  return { keys, ok: c.pass };
}
