/**
 * The benchmark scenario: the controller as its own process (the shipped bundle) on real
 * QEMU/TCG VMs, the emulator as GitHub, production polling intervals (15 s / 60 s).
 *
 *   warm phase: a warm VM is always waiting; one job at a time → warm pickups, API calls/job
 *   cold phase: no warm pool (min 0); one job at a time → cold pickups
 *
 * Every job VM's phase timings come from the controller's history; pickup times from the
 * emulator's own millisecond clock (GitHub's API timestamps have one-second resolution).
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseControllerConfig, type ControllerConfig } from "../runtime/config/controller-config.ts";
import { ownerPrefix } from "../runtime/controller/naming.ts";
import type { JobStatus } from "../runtime/controller/status-report.ts";
import { startEmulator, type Emulator } from "../runtime/emulator/server.ts";
import { gitHubFor } from "../runtime/github/from-config.ts";
import { hypervisorFor } from "../runtime/hypervisor/from-config.ts";
import { fetchMetrics, fetchStatus, spawnController, stopController, waitFor, type ControllerProcess } from "../runtime/lab/controller-process.ts";
import { labControllerConfig, labLabels, labRunnerUrl } from "../runtime/lab/lab-config.ts";
import { findLeaks, type Leaks } from "../runtime/lab/leak-check.ts";
import { readGuestImage } from "../runtime/lab/prerequisites.ts";

export interface PhaseResult {
  /** Queued → started, per job (ms, emulator clock). */
  pickupMs: number[];
  /** History entries of the VMs that ran the phase's jobs. */
  vms: JobStatus[];
  /** GitHub API calls during the phase, by route. */
  apiCalls: Map<string, number>;
  jobs: number;
  durationMs: number;
}

export interface ScenarioResult {
  warm: PhaseResult;
  cold: PhaseResult;
  /** Controller resident set size samples (bytes). */
  rssBytes: number[];
  leaks: Leaks;
}

export interface ScenarioOptions {
  imageDir: string;
  warmJobs: number;
  coldJobs: number;
  say: (line: string) => void;
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const image = await readGuestImage(options.imageDir);
  const dir = await mkdtemp(join(tmpdir(), "rf-bench-"));
  await chmod(dir, 0o711);
  const emulator = await startEmulator({ runnerUrl: labRunnerUrl() });
  const base = parseControllerConfig({
    ...labControllerConfig({
      driver: "libvirt",
      emulator: { url: emulator.url, port: emulator.port, appId: emulator.app.id, installationId: emulator.app.installationId("acme"), privateKey: emulator.app.privateKey! },
      image,
      stateDir: join(dir, "state"),
      webhookSecret: randomBytes(16).toString("hex"),
      adminToken: randomBytes(16).toString("hex"),
      pool: { min: 1, max: 2, vcpus: 1, memoryMiB: 768 },
      host: { vcpus: 4, memoryMiB: 4096 },
    }),
    host: { name: "bench", vcpus: 4, memoryMiB: 4096 },
    // Production intervals, so API calls per job are what a real host would make.
    timing: { reconcileSeconds: 15, jobPollSeconds: 60, bootTimeoutSeconds: 180, jobTimeoutMinutes: 10, drainGraceSeconds: 60 },
  });
  const rss: number[] = [];
  let controller: ControllerProcess | undefined;
  const sampler = setInterval(() => {
    if (controller) void readRss(controller.pid).then((bytes) => bytes !== undefined && rss.push(bytes));
  }, 500);
  try {
    const start = async (config: ControllerConfig, name: string) => {
      const file = join(dir, `${name}.json`);
      await writeFile(file, JSON.stringify(config), { mode: 0o600 });
      // The bench runs as dist/bench.cjs; the controller is the shipped bundle beside it.
      controller = await spawnController([process.execPath, join(dirname(process.argv[1]!), "fleet.cjs")], file, join(dir, `${name}.log`));
      emulator.addWebhook(`${controller.url}/webhook`, config.webhook!.secret);
      return controller;
    };

    options.say(`warm phase: ${options.warmJobs} jobs, one at a time, a warm VM always waiting`);
    const warmController = await start(base, "warm");
    const warm = await runPhase(emulator, warmController, options.warmJobs, { waitForWarm: true });
    await stopController(warmController.child, 120_000);

    options.say(`cold phase: ${options.coldJobs} jobs, one at a time, no warm pool`);
    const coldConfig = parseControllerConfig({ ...base, pools: base.pools.map((p) => ({ ...p, min: 0, target: 0 })) });
    const coldController = await start(coldConfig, "cold");
    const cold = await runPhase(emulator, coldController, options.coldJobs, { waitForWarm: false });
    await stopController(coldController.child, 120_000);
    controller = undefined;

    const leaks = await findLeaks({
      prefix: ownerPrefix(base.namePrefix, base.host.name),
      stateDir: base.paths.state,
      hypervisor: hypervisorFor(base),
      github: gitHubFor(base),
    });
    return { warm, cold, rssBytes: rss, leaks };
  } finally {
    clearInterval(sampler);
    if (controller) await stopController(controller.child, 60_000);
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function runPhase(emulator: Emulator, controller: ControllerProcess, jobs: number, options: { waitForWarm: boolean }): Promise<PhaseResult> {
  const idle = async () => ((await fetchStatus(controller.url))?.vms.some((vm) => vm.phase === "idle") ?? false);
  if (options.waitForWarm) await waitFor("a warm VM", 300_000, idle);
  const callsBefore = parseApiCalls(await fetchMetrics(controller.url));
  const started = Date.now();
  const pickupMs: number[] = [];
  const runners: string[] = [];
  for (let i = 0; i < jobs; i++) {
    if (options.waitForWarm) await waitFor("a warm VM", 300_000, idle);
    const { jobId } = emulator.enqueueJob({
      repository: "acme/app",
      labels: labLabels,
      jobName: `bench-${i + 1}`,
      steps: [{ name: "work", run: "echo bench; sleep 1" }],
      event: { name: "pull_request", sender: { login: "octocat", type: "User" }, pullRequest: { number: i + 1, authorAssociation: "MEMBER" } },
    });
    await waitFor(`job ${i + 1}`, 300_000, async () => emulator.job(jobId)?.status === "completed");
    const job = emulator.github.state.jobs.get(jobId)!;
    if (job.startedAt !== null) pickupMs.push(job.startedAt - job.createdAt);
    runners.push(job.runnerName!);
  }
  // The last job's VM must be gone before its timings are complete.
  await waitFor("the job VMs' teardown", 120_000, async () => {
    const status = await fetchStatus(controller.url);
    return runners.every((name) => status?.recentJobs.some((entry) => entry.name === name));
  });
  const durationMs = Date.now() - started;
  const apiCalls = diffCalls(callsBefore, parseApiCalls(await fetchMetrics(controller.url)));
  const status = await fetchStatus(controller.url);
  const vms = status!.recentJobs.filter((entry) => runners.includes(entry.name));
  return { pickupMs, vms, apiCalls, jobs, durationMs };
}

/** `runner_fleet_github_api_calls_total` by route, summed over statuses. */
export function parseApiCalls(metrics: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of metrics.split("\n")) {
    const match = /^runner_fleet_github_api_calls_total\{route="([^"]+)",status="[^"]*"\} (\S+)$/.exec(line);
    if (match) calls.set(match[1]!, (calls.get(match[1]!) ?? 0) + Number(match[2]));
  }
  return calls;
}

function diffCalls(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const diff = new Map<string, number>();
  for (const [route, count] of after) {
    const delta = count - (before.get(route) ?? 0);
    if (delta > 0) diff.set(route, delta);
  }
  return diff;
}

async function readRss(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}
