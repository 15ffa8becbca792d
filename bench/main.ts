/**
 * `npm run bench`: the controller's speed and footprint on real VMs, against the targets.
 * Run as root with libvirtd up and the lab image built (scripts/lab.sh does both).
 *
 * Definitions (the same functions the controller's status report uses):
 *   controller overhead  VM requested → start issued (JIT, overlay, secret, define), plus guest
 *                        power-off → everything removed; QEMU's own start and the boot are not
 *                        the controller's time
 *   cold pickup          job queued → started, when no warm VM is waiting
 *   warm pickup          job queued → started, with a warm VM waiting
 *   teardown             guest power-off observed → domain, overlay, secret and record removed
 *   API calls per job    calls a job causes (JIT config, its run's trust lookup, a deregistration
 *                        when needed); background polling is shown per minute beside it
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { percentile } from "../runtime/observability/percentiles.ts";
import { defaultImageDir } from "../runtime/lab/prerequisites.ts";
import { leakCount } from "../runtime/lab/leak-check.ts";
import { benchHypervisor } from "./hypervisor.ts";
import { runScenario, type PhaseResult } from "./fleet-scenario.ts";

/** Routes a job causes; everything else the controller calls is background polling. */
const perJobRoutes = [/generate-jitconfig$/, /\/actions\/runs\/\{run_id\}$/, /^DELETE .*\/runners\/\{runner_id\}$/];

const targets = {
  overheadP95Ms: 300,
  warmPickupP95Ms: 1000,
  apiCallsPerJob: 2,
  leaks: 0,
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { "warm-jobs": { type: "string", default: "8" }, "cold-jobs": { type: "string", default: "5" }, "image-dir": { type: "string", default: defaultImageDir } },
  });
  const say = (line: string) => process.stdout.write(line + "\n");
  say(`runner-fleet benchmarks: real QEMU/TCG VMs through libvirt, ${cpus().length} cores, Node ${process.version}`);

  const scenario = await runScenario({ imageDir: values["image-dir"], warmJobs: Number(values["warm-jobs"]), coldJobs: Number(values["cold-jobs"]), say });
  const all = [...scenario.warm.vms, ...scenario.cold.vms];
  // Each phase starts a controller; its first VM also pays one-time costs (libvirt capability
  // lookups, the first QEMU definition). Steady state is every VM after that.
  const firsts = new Set([scenario.warm.vms[0]?.name, scenario.cold.vms[0]?.name]);
  const overhead = all.filter((vm) => !firsts.has(vm.name)).map((vm) => vm.overheadMs).filter(defined);
  const firstOverhead = all.filter((vm) => firsts.has(vm.name)).map((vm) => vm.overheadMs).filter(defined);
  const teardown = all.map((vm) => vm.phasesMs.teardown).filter(defined);
  const boot = all.map((vm) => vm.phasesMs.boot).filter(defined);
  const perJob = callsPerJob(scenario.warm);
  const leaks = leakCount(scenario.leaks);

  const checks: boolean[] = [];
  const row = (label: string, samples: number[], unit: "ms" | "s", target?: { max: number; of: "p95" }) => {
    const fmt = (v: number | undefined) => (v === undefined ? "-" : unit === "ms" ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`);
    const p95 = percentile(samples, 95);
    let verdict = "";
    if (target) {
      const ok = p95 !== undefined && p95 <= target.max;
      checks.push(ok);
      verdict = `target p95 ≤ ${fmt(target.max)}: ${ok ? "PASS" : "FAIL"}`;
    }
    say(`  ${label.padEnd(34)} p50 ${fmt(percentile(samples, 50)).padStart(9)}   p95 ${fmt(p95).padStart(9)}   n=${String(samples.length).padEnd(3)} ${verdict}`);
  };

  say("");
  say("per job");
  row("controller overhead, steady state", overhead, "ms", { max: targets.overheadP95Ms, of: "p95" });
  row("  first VM after a controller start", firstOverhead, "ms");
  row("cold pickup (queued → started)", scenario.cold.pickupMs, "s");
  row("warm pickup (queued → started)", scenario.warm.pickupMs, "s", { max: targets.warmPickupP95Ms, of: "p95" });
  row("teardown (power-off → removed)", teardown, "ms");
  row("boot (start → runner listening)", boot, "s");
  for (const phase of ["jit", "overlay", "define", "start"] as const) {
    row(`  ${phase}`, all.map((vm) => vm.phasesMs[phase]).filter(defined), "ms");
  }

  const apiOk = perJob.perJob <= targets.apiCallsPerJob;
  checks.push(apiOk);
  say("");
  say("GitHub API (warm phase, production intervals: runners every 15 s, queued jobs every 60 s)");
  say(`  calls caused per job            ${perJob.perJob.toFixed(2)}   (${perJob.breakdown})   target ≤ ${targets.apiCallsPerJob}: ${apiOk ? "PASS" : "FAIL"}`);
  say(`  background polling              ${perJob.backgroundPerMinute.toFixed(1)} calls/min, independent of the job rate`);
  say(`  all calls / jobs in this run    ${perJob.allPerJob.toFixed(2)}   (${scenario.warm.jobs} jobs in ${(scenario.warm.durationMs / 1000).toFixed(0)} s)`);

  const rss = scenario.rssBytes;
  say("");
  say(`controller resident memory         median ${mib(percentile(rss, 50))}   max ${mib(Math.max(...rss))}   (${rss.length} samples)`);
  const leaksOk = leaks === targets.leaks;
  checks.push(leaksOk);
  say(
    `leaks                              domains ${scenario.leaks.domains.length}, overlays ${scenario.leaks.overlays.length}, runners ${scenario.leaks.runners.length}, secrets ${scenario.leaks.secrets.length}   target 0: ${leaksOk ? "PASS" : "FAIL"}`,
  );

  say("");
  say("hypervisor operations (libvirt adapter, this host)");
  for (const op of await benchHypervisor({ iterations: 5, boots: 2 })) {
    say(`  ${op.operation.padEnd(44)} median ${String(op.medianMs).padStart(6)} ms   max ${String(op.maxMs).padStart(6)} ms   n=${op.runs}`);
  }
  say("");
  say(checks.every(Boolean) ? "all targets met" : "SOME TARGETS MISSED");
  return checks.every(Boolean) ? 0 : 3;
}

function callsPerJob(phase: PhaseResult): { perJob: number; allPerJob: number; backgroundPerMinute: number; breakdown: string } {
  let caused = 0;
  let background = 0;
  const parts: string[] = [];
  for (const [route, count] of phase.apiCalls) {
    if (perJobRoutes.some((pattern) => pattern.test(route))) {
      caused += count;
      parts.push(`${route.replace(/^(\w+) .*\/(.*)$/, "$1 …/$2")} ${(count / phase.jobs).toFixed(2)}`);
    } else background += count;
  }
  return {
    perJob: caused / phase.jobs,
    allPerJob: (caused + background) / phase.jobs,
    backgroundPerMinute: background / (phase.durationMs / 60_000),
    breakdown: parts.join(", "),
  };
}

const defined = (v: number | undefined): v is number => v !== undefined;
const mib = (bytes: number | undefined) => (bytes === undefined || !Number.isFinite(bytes) ? "-" : `${(bytes / 1048576).toFixed(0)} MiB`);

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
