/**
 * Replays a job trace against one pool, driving the controller's own rules: the warm target
 * (`pool-sizing/warm-target.ts`, fixed or adaptive), the pool's sizing (`sizePool`) and its
 * scale-down after the idle timeout (`scaleDownCandidates`). Only the world is modelled: a VM is
 * ready `bootMs` after the pass that starts it, a job runs for its traced time on a VM of its own,
 * GitHub hands a queued job to the first idle runner. A pass runs on every arrival, VM ready and
 * job end (webhooks and events wake the controller), and every `reconcileMs`.
 * Not modelled: the host budget, the provision concurrency limit, failures.
 */
import type { PoolConfig } from "../../config/controller-config.ts";
import { poolSizingSettings } from "../../config/pool-sizing-shape.ts";
import { historyKeep } from "../../controller/history-store.ts";
import { scaleDownCandidates, sizePool } from "../../controller/pool-policy.ts";
import type { Arrival } from "../../controller/pool-sizing/demand-rate.ts";
import type { PoolDemand } from "../../controller/pool-sizing/pool-demand.ts";
import { warmTarget } from "../../controller/pool-sizing/warm-target.ts";
import type { TraceJob } from "./job-trace.ts";

export interface SimulationInput {
  /** The whole trace, oldest first: jobs before `from` are the history an adaptive pool learns from. */
  jobs: readonly TraceJob[];
  from: number;
  to: number;
  pool: PoolConfig;
  bootMs: number;
  reconcileMs: number;
}

export interface SimulationResult {
  jobs: number;
  /** Jobs that found no idle VM and waited for one to boot. */
  cold: number;
  coldShare: number;
  /** VM-minutes spent idle: booted, registered, waiting for a job. */
  idleVmMinutes: number;
  /** VM-minutes spent booting. */
  bootVmMinutes: number;
  /** The warm target over the replay: the largest, and its time average. */
  maxTarget: number;
  meanTarget: number;
  /** The same, hour by hour from `from`. */
  hours: { jobs: number; cold: number; idleVmMinutes: number; meanTarget: number }[];
}

interface SimVm {
  phase: "booting" | "idle" | "busy";
  readyAt: number;
  busyUntil: number;
  times: { online?: number };
}

export function simulatePool(input: SimulationInput): SimulationResult {
  const { pool, from, to } = input;
  const idleTimeoutMs = poolSizingSettings(pool).idleTimeoutMs;
  const arrivals: Arrival[] = input.jobs.map((j) => (j.runId === undefined ? { at: j.queuedAt } : { at: j.queuedAt, runId: j.runId }));
  const day = input.jobs.filter((j) => j.queuedAt >= from && j.queuedAt < to);
  let vms: SimVm[] = [];
  const waiting: TraceJob[] = [];
  let next = 0;
  let cold = 0;
  let idleMs = 0;
  let bootMs = 0;
  let targetMs = 0;
  let maxTarget = 0;
  let target = 0;
  const hours: SimulationResult["hours"] = [];
  const hourAt = (at: number) => {
    const i = Math.floor((at - from) / 3_600_000);
    while (hours.length <= i) hours.push({ jobs: 0, cold: 0, idleVmMinutes: 0, meanTarget: 0 });
    return hours[i]!;
  };

  const demandAt = (now: number): PoolDemand => {
    const end = upperBound(arrivals, now);
    const known = arrivals.slice(Math.max(0, end - historyKeep), end);
    return { arrivals: known, ...(known.length > 0 ? { since: known[0]!.at } : {}), replenishMs: input.bootMs };
  };
  const take = (vm: SimVm, job: TraceJob, now: number) => {
    vm.phase = "busy";
    vm.busyUntil = now + job.runMs;
  };
  const pass = (now: number) => {
    target = warmTarget(pool, () => demandAt(now), now).target;
    maxTarget = Math.max(maxTarget, target);
    const count = (phase: SimVm["phase"]) => vms.filter((vm) => vm.phase === phase).length;
    const sizing = sizePool(pool, { provisioning: 0, booting: count("booting"), idle: count("idle"), busy: count("busy") }, waiting.length, target);
    for (let i = 0; i < sizing.provision; i++) vms.push({ phase: "booting", readyAt: now + input.bootMs, busyUntil: Infinity, times: {} });
    const leaving = new Set(scaleDownCandidates(vms, sizing.surplusIdle, now, idleTimeoutMs));
    vms = vms.filter((vm) => !leaving.has(vm));
  };

  // Start in the steady state: the pool's warm target at `from`, booted and waiting.
  pass(from);
  for (const vm of vms) Object.assign(vm, { phase: "idle", times: { online: from } });
  let now = from;
  let tick = from + input.reconcileMs;
  while (now < to) {
    const events = [day[next]?.queuedAt ?? Infinity, tick, ...vms.map((vm) => (vm.phase === "booting" ? vm.readyAt : vm.phase === "busy" ? vm.busyUntil : Infinity))];
    const at = Math.min(to, ...events);
    const idleNow = vms.filter((vm) => vm.phase === "idle").length;
    for (let t = now; t < at; ) {
      const end = Math.min(at, from + (Math.floor((t - from) / 3_600_000) + 1) * 3_600_000);
      hourAt(t).idleVmMinutes += ((end - t) * idleNow) / 60_000;
      hourAt(t).meanTarget += ((end - t) * target) / 3_600_000;
      t = end;
    }
    idleMs += (at - now) * idleNow;
    bootMs += (at - now) * vms.filter((vm) => vm.phase === "booting").length;
    targetMs += (at - now) * target;
    now = at;
    if (now >= to) break;
    // One job per VM: a VM whose job ended is gone.
    vms = vms.filter((vm) => !(vm.phase === "busy" && vm.busyUntil <= now));
    for (const vm of vms) {
      if (vm.phase !== "booting" || vm.readyAt > now) continue;
      vm.times.online = now;
      const job = waiting.shift();
      if (job) take(vm, job, now);
      else vm.phase = "idle";
    }
    while (next < day.length && day[next]!.queuedAt <= now) {
      const job = day[next++]!;
      const idle = vms.find((vm) => vm.phase === "idle");
      hourAt(now).jobs++;
      if (idle) take(idle, job, now);
      else {
        cold++;
        hourAt(now).cold++;
        waiting.push(job);
      }
    }
    if (now >= tick) tick = now + input.reconcileMs;
    pass(now);
  }
  const span = Math.max(1, to - from);
  return {
    jobs: day.length,
    cold,
    coldShare: day.length === 0 ? 0 : cold / day.length,
    idleVmMinutes: idleMs / 60_000,
    bootVmMinutes: bootMs / 60_000,
    maxTarget,
    meanTarget: targetMs / span,
    hours,
  };
}

/** Index of the first arrival after `at` (arrivals sorted by time). */
function upperBound(arrivals: readonly Arrival[], at: number): number {
  let lo = 0;
  let hi = arrivals.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arrivals[mid]!.at <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
