/**
 * The crash-safety scenarios, written once for any fleet whose controller can be killed and
 * restarted: real VMs (libvirt-fleet.ts, a real SIGKILL) and in-memory VMs (memory-crash-fleet.ts,
 * a frozen controller). Each ends the same way: every job served with success, nothing left.
 */
import { readdir } from "node:fs/promises";
import { expect } from "vitest";
import { crashPointNames, type CrashPointName } from "../../runtime/controller/crash-points.ts";
import { stateDirs } from "../../runtime/controller/naming.ts";
import type { StatusDocument } from "../../runtime/controller/status-report.ts";
import type { Emulator } from "../../runtime/emulator/server.ts";
import { waitFor } from "../../runtime/lab/controller-process.ts";
import { leakCount, type Leaks } from "../../runtime/lab/leak-check.ts";
import { freshSeed, seededRandom } from "../../runtime/ports/random.ts";

export interface CrashableFleet {
  emulator: Emulator;
  /** The controller's state directory. */
  stateDir: string;
  start(options?: { crashAt?: string }): Promise<unknown>;
  /** Waits until an armed crash point killed the controller; its signal. */
  waitForExit(timeoutMs?: number): Promise<NodeJS.Signals | null>;
  /** Kills the controller now, wherever it is. */
  kill(): Promise<void>;
  /** SIGTERM semantics: drain, then exit; the exit code. */
  stop(): Promise<number | null>;
  status(): Promise<StatusDocument | undefined>;
  enqueue(count: number, steps?: { name: string; run: string }[]): { jobId: number; runId: number }[];
  waitForJobs(jobs: readonly { jobId: number }[], timeoutMs?: number): Promise<void>;
  leaks(): Promise<Leaks>;
}

export interface ScenarioTiming {
  /** For one crash to happen, one job to be served, or the fleet to settle. */
  stepTimeoutMs: number;
}

/** What a kill left for the next controller: VM records, and resources outside the journal. */
export interface Leftovers extends Leaks {
  records: number;
}

export interface PointOutcome {
  point: CrashPointName;
  leftovers: Leftovers;
  /** From the restart to the job served and nothing left. */
  recoveryMs: number;
}

/**
 * For each crash point in turn: a controller armed for it takes one job (the pool keeps no
 * warm VM, so the job's VM passes every point) and dies there; a plain controller then serves
 * the job and cleans up.
 */
export async function crashAtEveryPoint(fleet: CrashableFleet, timing: ScenarioTiming, points = selectedPoints()): Promise<PointOutcome[]> {
  const outcomes: PointOutcome[] = [];
  for (const point of points) {
    await fleet.start({ crashAt: point });
    const jobs = fleet.enqueue(1);
    expect(await fleet.waitForExit(timing.stepTimeoutMs), `crash at ${point}`).toBe("SIGKILL");
    const leftovers = await leftoversOf(fleet);
    // Killed part-way through a VM's life: its record is still there to be followed.
    expect(leftovers.records, `records left by the crash at ${point}: ${JSON.stringify(leftovers)}`).toBe(1);

    const restarted = Date.now();
    await fleet.start();
    await servedAndClean(fleet, jobs, timing, point);
    outcomes.push({ point, leftovers, recoveryMs: Date.now() - restarted });
    expect(await fleet.stop(), `drain after the crash at ${point}`).toBe(0);
    expect(await leftoversOf(fleet), `after the crash at ${point}`).toEqual(nothingLeft);
  }
  return outcomes;
}

/** One line per point: what the kill left, and how long the next controller took to clean it up. */
export function pointReport(outcomes: readonly PointOutcome[]): string {
  return outcomes
    .map(({ point, leftovers, recoveryMs }) => {
      const left = Object.entries(leftovers)
        .map(([kind, value]) => `${Array.isArray(value) ? value.length : value} ${kind}`)
        .join(", ");
      return `  ${point.padEnd(24)} left ${left}; served and clean ${(recoveryMs / 1000).toFixed(1)} s after the restart`;
    })
    .join("\n");
}

export interface RandomKills {
  seed: number;
  kills: number;
  jobs: number;
  /** Each kill comes 0..maxDelayMs after the controller it kills started listening. */
  maxDelayMs: number;
  steps?: { name: string; run: string }[];
}

export interface RandomKillsOutcome {
  seed: number;
  kills: number;
  jobs: number;
  served: number;
  /** Records, domains, overlays, JIT config files and registrations left after the final drain. */
  leaks: number;
  /** Kills that found a VM part-way through its life (a record on disk). */
  midLife: number;
  /** The delays used, in order (the seed reproduces them). */
  delaysMs: number[];
}

/** A burst of jobs, then `kills` SIGKILLs at seeded random moments, then a controller left alone. */
export async function killsDuringBurst(fleet: CrashableFleet, plan: RandomKills, timing: ScenarioTiming): Promise<RandomKillsOutcome> {
  const random = seededRandom(plan.seed);
  const delaysMs: number[] = [];
  let midLife = 0;
  await fleet.start();
  const jobs = fleet.enqueue(plan.jobs, plan.steps);
  for (let kill = 0; kill < plan.kills; kill++) {
    if (kill > 0) await fleet.start();
    const delay = Math.floor(random() * (plan.maxDelayMs + 1));
    delaysMs.push(delay);
    await new Promise((resolve) => setTimeout(resolve, delay));
    await fleet.kill();
    if ((await leftoversOf(fleet)).records > 0) midLife++;
  }
  await fleet.start();
  await fleet.waitForJobs(jobs, timing.stepTimeoutMs * Math.max(1, plan.jobs / 2));
  const served = jobs.filter((job) => fleet.emulator.job(job.jobId)?.conclusion === "success").length;
  await settle(fleet, timing, "the burst");
  const code = await fleet.stop();
  const left = await leftoversOf(fleet);
  const leaks = left.records + leakCount(left);
  expect(code, "drain after the burst").toBe(0);
  return { seed: plan.seed, kills: plan.kills, jobs: plan.jobs, served, leaks, midLife, delaysMs };
}

export const nothingLeft: Leftovers = { records: 0, domains: [], overlays: [], runners: [], secrets: [] };

/** Every crash point, or those named in `RF_CRASH_POINTS` (comma-separated, to chase one). */
export function selectedPoints(): readonly CrashPointName[] {
  const wanted = process.env.RF_CRASH_POINTS?.split(",").filter((p) => p !== "");
  if (!wanted?.length) return crashPointNames;
  const unknown = wanted.filter((p) => !crashPointNames.includes(p as CrashPointName));
  if (unknown.length > 0) throw new Error(`RF_CRASH_POINTS: unknown crash points ${unknown.join(", ")}`);
  return wanted as CrashPointName[];
}

/** The seed from `RF_CRASH_SEED`, or a new one (printed by the tests, so any run can be repeated). */
export function crashSeed(): number {
  const fromEnv = process.env.RF_CRASH_SEED;
  if (fromEnv === undefined || fromEnv === "") return freshSeed();
  if (!/^\d+$/.test(fromEnv) || Number(fromEnv) >= 2 ** 32) throw new Error(`RF_CRASH_SEED must be an integer from 0 to 4294967295, got "${fromEnv}"`);
  return Number(fromEnv);
}

async function servedAndClean(fleet: CrashableFleet, jobs: readonly { jobId: number }[], timing: ScenarioTiming, point: string): Promise<void> {
  await fleet.waitForJobs(jobs, timing.stepTimeoutMs);
  for (const job of jobs) expect(fleet.emulator.job(job.jobId)?.conclusion, `job after the crash at ${point}`).toBe("success");
  await settle(fleet, timing, `the crash at ${point}`);
}

/** The pool keeps no warm VM: wait until the controller has removed everything (runners included). */
async function settle(fleet: CrashableFleet, timing: ScenarioTiming, after: string): Promise<void> {
  await waitFor(`nothing left after ${after}`, timing.stepTimeoutMs, async () => {
    const status = await fleet.status();
    return status !== undefined && status.vms.length === 0 && leakCount(await fleet.leaks()) === 0;
  }).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}: ${JSON.stringify(await leftoversOf(fleet))}`);
  });
}

async function leftoversOf(fleet: CrashableFleet): Promise<Leftovers> {
  const records = (await readdir(stateDirs(fleet.stateDir).records)).filter((file) => file.endsWith(".json")).length;
  return { records, ...(await fleet.leaks()) };
}
