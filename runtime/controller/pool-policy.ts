/**
 * How many VMs a pool should have. Busy VMs are committed; on top of them the pool keeps
 * enough spare (provisioning, booting or idle) VMs for the queued jobs it serves, and never
 * fewer than its warm target. `max` caps the total.
 *
 * Counting spare VMs that are still booting as able to take a queued job is what prevents
 * over-provisioning: a burst of N jobs starts N VMs once, not once per reconcile pass.
 */
import { poolTarget, type PoolConfig } from "../config/controller-config.ts";

export interface PoolCounts {
  provisioning: number;
  booting: number;
  idle: number;
  busy: number;
}

export interface PoolSizing {
  /** Total VMs the pool should have (busy + spare). */
  desired: number;
  /** New VMs to start now (before the host budget and retry backoff are applied). */
  provision: number;
  /** Idle VMs beyond what the pool needs, which may be scaled down. */
  surplusIdle: number;
}

/** `target`: the warm target in force (the configured one, or the adaptive one: `pool-sizing/`). */
export function sizePool(pool: PoolConfig, counts: PoolCounts, queued: number, target = poolTarget(pool)): PoolSizing {
  const spare = counts.provisioning + counts.booting + counts.idle;
  const live = spare + counts.busy;
  const wantSpare = Math.max(target, queued);
  const desired = Math.min(pool.max, counts.busy + wantSpare);
  const allowedSpare = Math.max(0, desired - counts.busy);
  return {
    desired,
    provision: Math.max(0, desired - live),
    surplusIdle: Math.min(counts.idle, Math.max(0, spare - allowedSpare)),
  };
}

interface IdleVm {
  phase: string;
  times: { online?: number };
}

/**
 * Which surplus idle VMs go now: those idle for at least the pool's idle timeout (so a pool
 * does not flap, and a warm pool shrinks only once a VM has waited that long), oldest first.
 */
export function scaleDownCandidates<T extends IdleVm>(members: readonly T[], surplusIdle: number, now: number, idleTimeoutMs: number): T[] {
  if (surplusIdle <= 0) return [];
  return members
    .filter((vm) => (vm.phase === "idle" || vm.phase === "waiting") && now - (vm.times.online ?? now) >= idleTimeoutMs)
    .sort((a, b) => (a.times.online ?? 0) - (b.times.online ?? 0))
    .slice(0, surplusIdle);
}
