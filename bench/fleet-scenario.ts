/**
 * The benchmark scenario: the controller as its own process (the shipped bundle) on real
 * QEMU/TCG VMs (or the in-memory driver, for developing the bench), the emulator as GitHub,
 * production polling intervals (15 s / 60 s). Each phase starts its own controller.
 *
 *   warm phase:  a warm VM is always waiting; one job at a time → warm pickups, steady overhead
 *   cold phase:  no warm pool (min 0); one job at a time → cold pickups
 *   burst phase: N jobs queued together, in runs of 1 to 5 jobs (a matrix), across two pools
 *                → API calls under load, polling against queued runs, memory under load
 *
 * Pickups run to the first step in the guest (`runtime/lab/job-pickup.ts`); VM phases come from
 * the controller's history; API calls are counted at the emulator, as GitHub would count them.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseControllerConfig, type ControllerConfig } from "../runtime/config/controller-config.ts";
import { ownerPrefix } from "../runtime/controller/naming.ts";
import type { JobStatus } from "../runtime/controller/status-report.ts";
import { withOpenApiCheck } from "../runtime/emulator/openapi-check/checked-options.ts";
import { OpenApiContract } from "../runtime/emulator/openapi-check/openapi-contract.ts";
import type { Emulator } from "../runtime/emulator/server.ts";
import { gitHubFor } from "../runtime/github/from-config.ts";
import { hypervisorFor } from "../runtime/hypervisor/from-config.ts";
import { fetchMetrics, fetchStatus, spawnController, stopController, waitFor, type ControllerProcess } from "../runtime/lab/controller-process.ts";
import { labControllerConfig, labLabels, type GuestImage } from "../runtime/lab/lab-config.ts";
import { startLabGitHub, type LabGitHub } from "../runtime/lab/lab-emulator.ts";
import { jobPickup, type Pickup } from "../runtime/lab/job-pickup.ts";
import { findLeaks, type Leaks } from "../runtime/lab/leak-check.ts";
import { readGuestImage, standInImage } from "../runtime/lab/prerequisites.ts";
import { ApiCallLog, type JobPoll } from "./api-calls.ts";
import { parseHeapMetrics, readProcMemory, type HeapMemory, type ProcMemory } from "./memory.ts";

export interface JobResult {
  pickup: Pickup;
  warm: boolean;
  conclusion: string;
}

export interface PhaseResult {
  jobs: JobResult[];
  /** History entries of the VMs that ran the phase's jobs. */
  vms: JobStatus[];
  /** The first VM the phase's controller started (it pays one-time costs). */
  firstVm: string | undefined;
  /** Every GitHub API call during the phase, by route. */
  apiCalls: Map<string, number>;
  polls: JobPoll[];
  durationMs: number;
  /** Controller memory, sampled every half second. */
  memory: ProcMemory[];
  /** The V8 heap when the resident set was largest. */
  heapAtPeak: HeapMemory | undefined;
}

export interface ScenarioResult {
  warm: PhaseResult;
  cold: PhaseResult;
  burst: PhaseResult;
  config: ControllerConfig;
  leaks: Leaks;
}

export interface ScenarioOptions {
  driver: "libvirt" | "memory";
  imageDir: string;
  warmJobs: number;
  coldJobs: number;
  burstJobs: number;
  say: (line: string) => void;
}

/** The burst's second pool: same machine, one more label. */
export const bigLabels = [...labLabels, "big"];

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const dir = await mkdtemp(join(tmpdir(), "rf-bench-"));
  await chmod(dir, 0o711);
  const image = options.driver === "libvirt" ? await readGuestImage(options.imageDir) : await standInImage(dir);
  const calls = new ApiCallLog();
  // Every exchange is checked against GitHub's OpenAPI description, as in the tests.
  const contract = new OpenApiContract();
  const github = await startLabGitHub({ driver: options.driver, emulator: withOpenApiCheck({ onExchange: calls.listener }, contract) });
  const emulator = github.emulator;
  const lab = benchLabConfig(options.driver, github, image, dir);
  const base = parseControllerConfig({
    ...lab,
    host: { name: "bench", vcpus: 4, memoryMiB: 4096 },
    pools: [...lab.pools!, { name: "big", labels: bigLabels, min: 0, max: 2, vcpus: 1, memoryMiB: 768 }],
    // Production intervals, so API calls are what a real host would make.
    timing: { reconcileSeconds: 15, jobPollSeconds: 60, bootTimeoutSeconds: 180, jobTimeoutMinutes: 10, drainGraceSeconds: 60 },
  });
  const withPools = (min: { lab: number; big: number }) =>
    parseControllerConfig({ ...base, pools: base.pools.map((p) => ({ ...p, start: "boot", min: min[p.name as "lab" | "big"], target: min[p.name as "lab" | "big"] })) });

  let controller: ControllerProcess | undefined;
  const start = async (config: ControllerConfig, name: string) => {
    const file = join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify(config), { mode: 0o600 });
    // The bench runs as dist/bench.cjs; the controller is the shipped bundle beside it.
    controller = await spawnController([process.execPath, join(dirname(process.argv[1]!), "fleet.cjs")], file, join(dir, `${name}.log`));
    emulator.addWebhook(`${controller.url}/webhook`, config.webhook!.secret);
    return controller;
  };
  const phase = async (name: string, config: ControllerConfig, work: (c: ControllerProcess) => Promise<number[]>) => {
    const c = await start(config, name);
    const result = await measure(emulator, c, calls, () => work(c));
    await stopController(c.child, 120_000);
    controller = undefined;
    return result;
  };

  try {
    options.say(`warm phase:  ${options.warmJobs} jobs, one at a time, a warm VM always waiting`);
    const warm = await phase("warm", withPools({ lab: 1, big: 0 }), (c) => oneAtATime(emulator, c, options.warmJobs, true));
    options.say(`cold phase:  ${options.coldJobs} jobs, one at a time, no warm pool`);
    const cold = await phase("cold", withPools({ lab: 0, big: 0 }), (c) => oneAtATime(emulator, c, options.coldJobs, false));
    options.say(`burst phase: ${options.burstJobs} jobs queued together, runs of 1 to 5 jobs, two pools (one warm VM each side at most)`);
    const burst = await phase("burst", withPools({ lab: 1, big: 0 }), (c) => burstOf(emulator, c, options.burstJobs));

    const leaks = await findLeaks({
      prefix: ownerPrefix(base.namePrefix, base.host.name),
      stateDir: base.paths.state,
      hypervisor: hypervisorFor(base),
      github: gitHubFor(base),
    });
    options.say(`OpenAPI check: ${contract.summary()}`);
    if (contract.violations.length > 0) {
      throw new Error(`the emulator's exchanges broke GitHub's OpenAPI description:\n${contract.violations.map((v) => `  ${v.method} ${v.path} -> ${v.status}: ${v.detail}`).join("\n")}`);
    }
    return { warm, cold, burst, config: base, leaks };
  } finally {
    if (controller) await stopController(controller.child, 60_000);
    await github.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The lab's controller config as the benchmarks run it: a 4-vCPU host, 768 MiB VMs, fresh secrets. */
export function benchLabConfig(driver: "libvirt" | "memory", github: LabGitHub, image: GuestImage, dir: string, pool: { register?: "ahead" | "on-claim" } = {}) {
  return labControllerConfig({
    driver,
    emulator: github.emulatorConfig,
    image,
    network: github.network,
    stateDir: join(dir, "state"),
    webhookSecret: randomBytes(16).toString("hex"),
    adminToken: randomBytes(16).toString("hex"),
    pool: { min: 1, max: 2, vcpus: 1, memoryMiB: 768, ...pool },
    host: { vcpus: 4, memoryMiB: 4096 },
  });
}

/** Runs `work` (which returns the job ids it queued) and collects everything the phase measures. */
async function measure(emulator: Emulator, controller: ControllerProcess, calls: ApiCallLog, work: () => Promise<number[]>): Promise<PhaseResult> {
  const memory: ProcMemory[] = [];
  let peak: { rss: number; heap: HeapMemory | undefined } = { rss: 0, heap: undefined };
  const sampler = setInterval(() => {
    void readProcMemory(controller.pid).then(async (sample) => {
      if (!sample) return;
      memory.push(sample);
      if (sample.rss > peak.rss) {
        const heap = parseHeapMetrics(await fetchMetrics(controller.url).catch(() => ""));
        peak = { rss: sample.rss, heap };
      }
    });
  }, 500);
  // Startup calls (token, first listings) are not the steady state: count from the first VM on.
  await firstStatus(controller);
  calls.start();
  const started = Date.now();
  try {
    const jobIds = await work();
    const runners = jobIds.map((id) => emulator.github.state.jobs.get(id)!.runnerName!);
    // The last jobs' VMs must be gone before their timings are complete.
    await waitFor("the job VMs' teardown", 300_000, async () => {
      const status = await fetchStatus(controller.url);
      return runners.every((name) => status?.recentJobs.some((entry) => entry.name === name));
    });
    const durationMs = Date.now() - started;
    const { calls: apiCalls, polls } = calls.stop();
    const status = await fetchStatus(controller.url);
    const vms = status!.recentJobs.filter((entry) => runners.includes(entry.name));
    const firstVm = [...status!.recentJobs].sort((x, y) => x.times.requested - y.times.requested)[0]?.name;
    const jobs = jobIds.map((id) => {
      const job = emulator.github.state.jobs.get(id)!;
      const online = vms.find((vm) => vm.name === job.runnerName)?.times.online;
      return { pickup: jobPickup(job), warm: online !== undefined && online <= job.createdAt, conclusion: job.conclusion ?? job.status };
    });
    return { jobs, vms, firstVm, apiCalls, polls, durationMs, memory, heapAtPeak: peak.heap };
  } finally {
    clearInterval(sampler);
  }
}

async function firstStatus(controller: ControllerProcess) {
  let status: Awaited<ReturnType<typeof fetchStatus>>;
  await waitFor("the controller's first VM", 60_000, async () => ((status = await fetchStatus(controller.url))?.vms.length ?? 0) > 0 || status?.pools.every((p) => p.min === 0) === true);
  return status;
}

const steps = (n: number) => [
  { name: "work", run: `echo bench ${n}; sleep 1` },
  { name: "after", run: "true" },
];
const trustedEvent = (n: number) => ({ name: "pull_request", sender: { login: "octocat", type: "User" as const }, pullRequest: { number: n, authorAssociation: "MEMBER" as const } });

async function oneAtATime(emulator: Emulator, controller: ControllerProcess, jobs: number, warm: boolean): Promise<number[]> {
  const idle = async () => ((await fetchStatus(controller.url))?.vms.some((vm) => vm.phase === "idle" && vm.pool === "lab") ?? false);
  const ids: number[] = [];
  for (let i = 0; i < jobs; i++) {
    if (warm) await waitFor("a warm VM", 300_000, idle);
    const { jobId } = emulator.enqueueJob({ repository: "acme/app", labels: labLabels, jobName: `bench-${i + 1}`, steps: steps(i + 1), event: trustedEvent(i + 1) });
    ids.push(jobId);
    await waitFor(`job ${i + 1}`, 300_000, async () => emulator.job(jobId)?.status === "completed");
  }
  return ids;
}

/** Runs of 1, 2, 3, 4, 5, 1, 2, … jobs until `jobs` are queued; runs alternate between the pools. */
export function burstRuns(jobs: number): { size: number; big: boolean }[] {
  const runs: { size: number; big: boolean }[] = [];
  for (let left = jobs, i = 0; left > 0; i++) {
    const size = Math.min(left, (i % 5) + 1);
    runs.push({ size, big: i % 2 === 1 });
    left -= size;
  }
  return runs;
}

async function burstOf(emulator: Emulator, controller: ControllerProcess, jobs: number): Promise<number[]> {
  await waitFor("a warm VM", 300_000, async () => (await fetchStatus(controller.url))?.vms.some((vm) => vm.phase === "idle") ?? false);
  const ids: number[] = [];
  for (const [r, run] of burstRuns(jobs).entries()) {
    let runId: number | undefined;
    for (let j = 0; j < run.size; j++) {
      const n = ids.length + 1;
      const queued = emulator.enqueueJob({
        repository: "acme/app",
        labels: run.big ? bigLabels : labLabels,
        jobName: `burst-${r + 1}-${j + 1}`,
        workflowName: `matrix-${r + 1}`,
        steps: steps(n),
        event: trustedEvent(r + 1),
        ...(runId === undefined ? {} : { runId }),
      });
      runId = queued.runId;
      ids.push(queued.jobId);
    }
  }
  await waitFor(`${jobs} jobs`, 900_000, async () => ids.every((id) => emulator.job(id)?.status === "completed"));
  return ids;
}
