/**
 * The guard's evidence in plain data, and how it is read out of the controllers' status
 * documents. Everything here is pure: the collector (collect.ts) fetches, these functions only
 * reshape.
 */
import { endKey, fleetJobEnds } from "../controller/fleet-history.ts";
import type { StatusDocument } from "../controller/status-report.ts";
import { bootFailureReasons, type HistoryEntry, type JobRef, type TeardownReason, type VmTimes } from "../controller/vm-record.ts";
import type { RunVerdict } from "./run-analysis.ts";

/** One VM's attempt to boot and register a runner: it came online, or it failed before. */
export interface BootAttempt {
  host: string;
  vm: string;
  /** When it came online, or when the failed VM was removed. */
  at: number;
  ok: boolean;
  reason?: TeardownReason;
}

/** One trusted job's queue wait: finished waiting (assigned to a runner) or still waiting. */
export interface QueueSample {
  /** `owner/repo#jobId` when known, else the VM name: deduplicates across sources. */
  key: string;
  queuedAt: number;
  waitMs: number;
  /** Still queued: `waitMs` is its age so far. */
  waiting: boolean;
  /** When the wait was measured: assignment, or now for a waiting job. */
  at: number;
}

/** What the guard saw of one controller. */
export interface ControllerObservation {
  url: string;
  host?: string;
  /** Present when the controller answered with a status document. */
  status?: StatusDocument;
  error?: string;
  /** Last time (before now) it answered with a passing reconcile loop: from the guard's memory. */
  lastSeenAt?: number;
  /** First failed attempt to read it since it was last seen. */
  firstFailedAt?: number;
}

/** A job the controller refused on its runner because its run is untrusted. */
export interface Refusal {
  host: string;
  vm: string;
  at: number;
  repository?: string;
  runId?: number;
}

export interface GuardEvidence {
  bootAttempts: BootAttempt[];
  queueSamples: QueueSample[];
  controllers: ControllerObservation[];
  refusals: Refusal[];
  /** Recent workflow runs with their recomputed routing; undefined when GitHub was not read. */
  runs?: RunVerdict[];
}

/**
 * Boot attempts in status documents: finished VMs that came online or failed first (fleet-wide when
 * coordinated, each VM once: fleet-history.ts), and the read hosts' live online VMs.
 */
export function bootAttemptsOf(statuses: readonly StatusDocument[]): BootAttempt[] {
  const ends = fleetJobEnds(statuses);
  const attempts = ends.map((end) => attemptOf(end.host, end)).filter((a): a is BootAttempt => a !== undefined);
  const seen = new Set(ends.map((end) => endKey(end.host, end.name)));
  for (const status of statuses) {
    for (const vm of status.vms) {
      if (seen.has(endKey(status.host, vm.name)) || vm.times.online === undefined) continue;
      attempts.push({ host: status.host, vm: vm.name, at: vm.times.online, ok: true });
    }
  }
  return attempts.sort((a, b) => a.at - b.at);
}

function attemptOf(host: string, entry: Pick<HistoryEntry, "name" | "reason" | "times">): BootAttempt | undefined {
  if (entry.times.online !== undefined) return { host, vm: entry.name, at: entry.times.online, ok: true };
  if (!bootFailureReasons.has(entry.reason)) return undefined;
  return { host, vm: entry.name, at: entry.times.tornDown ?? entry.times.requested, ok: false, reason: entry.reason };
}

export function jobKey(job: JobRef | undefined, fallback: string): string {
  return job?.repository !== undefined && job.id !== undefined ? `${job.repository}#${job.id}` : fallback;
}

/** Queue waits of jobs that ran (or run) on the fleet's VMs; refused jobs are not trusted ones. */
export function queueSamplesOf(statuses: readonly StatusDocument[]): QueueSample[] {
  const samples: QueueSample[] = [];
  const add = (name: string, job: JobRef | undefined, times: VmTimes) => {
    if (job?.queuedAt === undefined || times.assigned === undefined) return;
    samples.push({ key: jobKey(job, name), queuedAt: job.queuedAt, waitMs: Math.max(0, times.assigned - job.queuedAt), waiting: false, at: times.assigned });
  };
  for (const end of fleetJobEnds(statuses)) if (end.outcome !== "refused") add(end.name, end.job, end.times);
  for (const status of statuses) for (const vm of status.vms) add(vm.name, vm.job, vm.times);
  return samples;
}

export function refusalsOf(statuses: readonly StatusDocument[]): Refusal[] {
  return fleetJobEnds(statuses)
    .filter((entry) => entry.outcome === "refused")
    .map((entry) => {
      const refusal: Refusal = { host: entry.host, vm: entry.name, at: entry.times.assigned ?? entry.times.tornDown ?? entry.times.requested };
      if (entry.job?.repository !== undefined) refusal.repository = entry.job.repository;
      if (entry.job?.runId !== undefined) refusal.runId = entry.job.runId;
      return refusal;
    });
}

/**
 * Evidence from every controller that answered (runs and waiting jobs come from GitHub). In a
 * coordinated fleet each status carries the fleet's history, so the jobs of hosts the guard does
 * not watch count too, and each VM counts once however many controllers report it.
 */
export function controllerEvidence(observations: readonly ControllerObservation[]): Omit<GuardEvidence, "runs"> {
  // A host listed twice (the guard's own host, also in guard.controllers) counts once:
  // its live VMs must not be counted twice.
  const byHost = new Map<string, StatusDocument>();
  for (const observation of observations) if (observation.status && !byHost.has(observation.status.host)) byHost.set(observation.status.host, observation.status);
  const statuses = [...byHost.values()];
  const byKey = new Map(queueSamplesOf(statuses).map((sample) => [sample.key, sample]));
  return { bootAttempts: bootAttemptsOf(statuses), queueSamples: [...byKey.values()], controllers: [...observations], refusals: refusalsOf(statuses) };
}
