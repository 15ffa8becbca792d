/** The host's vCPU and memory budget for runner VMs, which provisioning never exceeds. */
import type { PoolConfig } from "../config/controller-config.ts";

export interface Resources {
  vcpus: number;
  memoryMiB: number;
}

export function usage(pools: readonly PoolConfig[], livePoolNames: readonly string[]): Resources {
  const byName = new Map(pools.map((pool) => [pool.name, pool]));
  let vcpus = 0;
  let memoryMiB = 0;
  for (const name of livePoolNames) {
    const pool = byName.get(name);
    if (!pool) continue;
    vcpus += pool.vcpus;
    memoryMiB += pool.memoryMiB;
  }
  return { vcpus, memoryMiB };
}

export function fits(used: Resources, pool: PoolConfig, budget: Resources): boolean {
  return used.vcpus + pool.vcpus <= budget.vcpus && used.memoryMiB + pool.memoryMiB <= budget.memoryMiB;
}

export function add(used: Resources, pool: PoolConfig): Resources {
  return { vcpus: used.vcpus + pool.vcpus, memoryMiB: used.memoryMiB + pool.memoryMiB };
}
