/**
 * The host's budget for runner VMs, which provisioning never exceeds: vCPUs, memory (a pool's
 * `memoryLimitMiB` when set: the most a VM may take), hugepage memory, disk (overlays' virtual
 * sizes, when the host budgets disks), and per pool the VMs its exclusive resources allow (each
 * VM of a pinned pool holds `vcpus` of its cores; a VM with PCI devices holds them all).
 */
import type { PoolConfig } from "../config/controller-config.ts";
import { pinnedSlots } from "../config/pool-shape.ts";

export interface Resources {
  vcpus: number;
  memoryMiB: number;
  hugepagesMiB?: number;
  diskGiB?: number;
  /** Live VMs per pool (the pool-level limits count them). */
  byPool?: Record<string, number>;
}

export type Budget = { vcpus: number; memoryMiB: number; hugepagesMiB?: number; diskGiB?: number };

/** What one VM of the pool holds while it lives. */
export function charge(pool: PoolConfig): Required<Omit<Resources, "byPool">> {
  return {
    vcpus: pool.vcpus,
    memoryMiB: pool.memoryLimitMiB ?? pool.memoryMiB,
    hugepagesMiB: pool.hugepages ? pool.memoryMiB : 0,
    diskGiB: pool.diskGiB ?? 0,
  };
}

/** VMs of this pool that may live at once, by its exclusive resources. */
export function poolCapacity(pool: PoolConfig): number {
  return Math.min(pinnedSlots(pool), pool.devices ? 1 : Infinity);
}

export function usage(pools: readonly PoolConfig[], livePoolNames: readonly string[]): Resources {
  const byName = new Map(pools.map((pool) => [pool.name, pool]));
  let used: Resources = { vcpus: 0, memoryMiB: 0, hugepagesMiB: 0, diskGiB: 0, byPool: {} };
  for (const name of livePoolNames) {
    const pool = byName.get(name);
    if (pool) used = add(used, pool);
  }
  return used;
}

export function fits(used: Resources, pool: PoolConfig, budget: Budget): boolean {
  const need = charge(pool);
  return (
    used.vcpus + need.vcpus <= budget.vcpus &&
    used.memoryMiB + need.memoryMiB <= budget.memoryMiB &&
    (need.hugepagesMiB === 0 || (used.hugepagesMiB ?? 0) + need.hugepagesMiB <= (budget.hugepagesMiB ?? 0)) &&
    (budget.diskGiB === undefined || (used.diskGiB ?? 0) + need.diskGiB <= budget.diskGiB) &&
    (used.byPool?.[pool.name] ?? 0) + 1 <= poolCapacity(pool)
  );
}

export function add(used: Resources, pool: PoolConfig): Resources {
  const need = charge(pool);
  return {
    vcpus: used.vcpus + need.vcpus,
    memoryMiB: used.memoryMiB + need.memoryMiB,
    hugepagesMiB: (used.hugepagesMiB ?? 0) + need.hugepagesMiB,
    diskGiB: (used.diskGiB ?? 0) + need.diskGiB,
    byPool: { ...used.byPool, [pool.name]: (used.byPool?.[pool.name] ?? 0) + 1 },
  };
}
