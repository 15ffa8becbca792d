/**
 * JIT on claim, measured: pickup (job queued → its first step started in the guest, as
 * `runtime/lab/job-pickup.ts` measures it) when a waiting on-claim VM takes the job. One job at a
 * time, each queued once a VM waits, so every pickup is a claim, never a boot. The controller is
 * the shipped bundle as its own process, with production intervals; the webhook, the run's trust
 * lookup, the JIT config request and the handover over the job channel are all in the figure.
 * Target (issue 11): p95 ≤ 1.5 s.
 */
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseControllerConfig } from "../runtime/config/controller-config.ts";
import { ownerPrefix } from "../runtime/controller/naming.ts";
import { gitHubFor } from "../runtime/github/from-config.ts";
import { hypervisorFor } from "../runtime/hypervisor/from-config.ts";
import { fetchStatus, spawnController, stopController, waitFor, type ControllerProcess } from "../runtime/lab/controller-process.ts";
import { startLabGitHub } from "../runtime/lab/lab-emulator.ts";
import { labJob } from "../runtime/lab/lab.ts";
import { jobPickup } from "../runtime/lab/job-pickup.ts";
import { findLeaks, leakCount } from "../runtime/lab/leak-check.ts";
import { readGuestImage, standInImage } from "../runtime/lab/prerequisites.ts";
import { percentile } from "../runtime/observability/percentiles.ts";
import { benchLabConfig } from "./fleet-scenario.ts";

export const claimPickupTargetMs = 1500;

export interface ClaimPickupOptions {
  driver: "libvirt" | "memory";
  imageDir: string;
  jobs: number;
  /** The controller bundle (dist/fleet.cjs). */
  fleetBundle: string;
  say: (line: string) => void;
}

export interface ClaimPickupResult {
  pickupsMs: number[];
  /** Jobs a waiting VM took (all of them, unless something fell back to a boot). */
  claimed: number;
  leaks: number;
  ok: boolean;
  keys: { pickup_claim_p95_s: number | null };
}

export async function claimPickupBench(options: ClaimPickupOptions): Promise<ClaimPickupResult> {
  const dir = await mkdtemp(join(tmpdir(), "rf-bench-claim-"));
  await chmod(dir, 0o711);
  const image = options.driver === "libvirt" ? await readGuestImage(options.imageDir) : await standInImage(dir);
  const github = await startLabGitHub({ driver: options.driver });
  const { emulator } = github;
  const lab = benchLabConfig(options.driver, github, image, dir, { register: "on-claim" });
  const config = parseControllerConfig({
    ...lab,
    host: { name: "benchclaim", vcpus: 4, memoryMiB: 4096 },
    timing: { reconcileSeconds: 15, jobPollSeconds: 60, bootTimeoutSeconds: 180, jobTimeoutMinutes: 10, drainGraceSeconds: 60 },
  });
  const file = join(dir, "controller.json");
  await writeFile(file, JSON.stringify(config), { mode: 0o600 });
  let controller: ControllerProcess | undefined;
  options.say(`claim phase: ${options.jobs} jobs, one at a time, each taken by a VM waiting unregistered (register: on-claim)`);
  try {
    controller = await spawnController([process.execPath, options.fleetBundle], file, join(dir, "controller.log"));
    emulator.addWebhook(`${controller.url}/webhook`, config.webhook!.secret);
    const c = controller;
    const waiting = async () => ((await fetchStatus(c.url))?.vms.filter((vm) => vm.phase === "waiting").length ?? 0) >= 1;
    const pickupsMs: number[] = [];
    const phases: Record<"claim" | "jit" | "handover" | "run", number[]> = { claim: [], jit: [], handover: [], run: [] };
    let claimed = 0;
    for (let n = 1; n <= options.jobs; n++) {
      await waitFor("a VM waiting on its job channel", 300_000, waiting);
      const waitingNames = new Set((await fetchStatus(c.url))!.vms.filter((vm) => vm.phase === "waiting").map((vm) => vm.name));
      const { jobId } = emulator.enqueueJob(labJob(n));
      await waitFor(`claim job ${n}`, 300_000, async () => emulator.github.state.jobs.get(jobId)?.status === "completed");
      const job = emulator.github.state.jobs.get(jobId)!;
      if (job.runnerName && waitingNames.has(job.runnerName)) claimed++;
      const pickup = jobPickup(job).firstStepMs;
      if (pickup !== undefined) pickupsMs.push(pickup);
      // Where the pickup went, from the VM's journal: the controller's pass, GitHub, the channel, the guest.
      await waitFor("the VM's history", 120_000, async () => (await fetchStatus(c.url))?.recentJobs.some((e) => e.name === job.runnerName) ?? false);
      const times = (await fetchStatus(c.url))!.recentJobs.find((e) => e.name === job.runnerName)!.times;
      if (times.claimed !== undefined && times.jit !== undefined && times.handedOut !== undefined && pickup !== undefined) {
        phases.claim.push(times.claimed - job.createdAt);
        phases.jit.push(times.jit - times.claimed);
        phases.handover.push(times.handedOut - times.jit);
        phases.run.push(job.createdAt + pickup - times.handedOut);
      }
    }
    await stopController(c.child, 120_000);
    controller = undefined;
    const leaks = leakCount(
      await findLeaks({ prefix: ownerPrefix(config.namePrefix, config.host.name), stateDir: config.paths.state, hypervisor: hypervisorFor(config), github: gitHubFor(config) }),
    );
    const p95 = percentile(pickupsMs, 95);
    const ok = p95 !== undefined && p95 <= claimPickupTargetMs && claimed === options.jobs && leaks === 0;
    const sec = (value: number | undefined) => (value === undefined ? "-" : `${(value / 1000).toFixed(2)}s`);
    options.say(
      `  claim pickup (queued → first step)  p50 ${sec(percentile(pickupsMs, 50))}   p95 ${sec(p95)}   max ${sec(pickupsMs.length ? Math.max(...pickupsMs) : undefined)}` +
        `   (${pickupsMs.length} jobs, ${claimed} taken by a waiting VM, leaks ${leaks})   target p95 ≤ 1.50 s: ${ok ? "PASS" : "FAIL"}`,
    );
    const median = (xs: number[]) => sec(percentile(xs, 50));
    options.say(
      `    medians: queued → claimed ${median(phases.claim)} (webhook, trust lookup, pass), JIT request ${median(phases.jit)},` +
        ` handover on the channel ${median(phases.handover)}, runner start → first step ${median(phases.run)}`,
    );
    return { pickupsMs, claimed, leaks, ok, keys: { pickup_claim_p95_s: p95 === undefined ? null : Math.round(p95) / 1000 } };
  } finally {
    if (controller) await stopController(controller.child, 60_000);
    await github.close();
    await rm(dir, { recursive: true, force: true });
  }
}
