/**
 * Pools across a coordinated fleet, as pure decisions (docs/coordination.md):
 * - a pool's `min`, `target` and `max` are the fleet's, per label set; each host takes a share
 *   of `min` and `target` in proportion to the room it has for that pool (its idle and starting
 *   VMs plus its free slots), and may grow to `max` less what the other online hosts run;
 * - a host claims queued jobs only for the slots it has free.
 * Every host computes the same split from the same heartbeats: largest remainder, ties by name.
 */
import { poolTarget, type ControllerConfig, type PoolConfig } from "../config/controller-config.ts";
import type { HostPoolFacts, HostView } from "../ports/coordination.ts";
import { add, fits, usage, type Resources } from "./host-budget.ts";
import type { PoolCounts } from "./pool-policy.ts";

/** One spelling per label set: lowercased and sorted. */
export function labelKey(labels: readonly string[]): string {
  return [...new Set(labels.map((l) => l.toLowerCase()))].sort().join(",");
}

/** `total` split by weight (largest remainder, ties by name). Hosts of weight 0 get nothing. */
export function spread(total: number, weights: ReadonlyMap<string, number>): Map<string, number> {
  const names = [...weights.keys()].sort();
  const sum = names.reduce((s, n) => s + Math.max(0, weights.get(n)!), 0);
  const shares = new Map(names.map((n) => [n, 0]));
  if (sum === 0 || total <= 0) return shares;
  const exact = names.map((n) => ({ n, x: (total * Math.max(0, weights.get(n)!)) / sum }));
  for (const { n, x } of exact) shares.set(n, Math.floor(x));
  let left = total - exact.reduce((s, { x }) => s + Math.floor(x), 0);
  for (const { n } of [...exact].sort((a, b) => b.x - Math.floor(b.x) - (a.x - Math.floor(a.x)) || a.n.localeCompare(b.n))) {
    if (left-- <= 0) break;
    shares.set(n, shares.get(n)! + 1);
  }
  return shares;
}

/**
 * The pools with this host's share of the fleet's bounds. `hosts` are the heartbeats read last,
 * with this host's own facts in place of its stale row; undefined until the fleet was read once
 * (then no warm VMs: several hosts starting together would each fill the whole floor).
 */
export function fleetShares(pools: readonly PoolConfig[], self: string, selfPools: readonly HostPoolFacts[], hosts: readonly HostView[] | undefined): PoolConfig[] {
  return pools.map((pool) => {
    if (!hosts) return { ...pool, min: 0, target: 0 };
    const key = labelKey(pool.labels);
    const weights = new Map<string, number>();
    let othersRun = 0;
    const peers: [string, readonly HostPoolFacts[]][] = [...hosts.filter((h) => h.online && h.host !== self).map((h) => [h.host, h.pools] as [string, readonly HostPoolFacts[]]), [self, selfPools]];
    for (const [host, hostPools] of peers) {
      const facts = hostPools.find((p) => labelKey(p.labels) === key);
      if (!facts) continue;
      weights.set(host, facts.idle + facts.starting + facts.freeSlots);
      if (host !== self) othersRun += facts.idle + facts.busy + facts.starting;
    }
    const max = Math.max(0, pool.max - othersRun);
    const min = Math.min(max, spread(pool.min, weights).get(self) ?? 0);
    const target = Math.min(max, Math.max(min, spread(poolTarget(pool), weights).get(self) ?? 0));
    return { ...pool, min, target, max };
  });
}

/**
 * How many more VMs of each pool this host can start now: within its share of `max` and the
 * host budget, pools taking the free budget in order.
 */
export function freeSlots(config: Pick<ControllerConfig, "host">, pools: readonly PoolConfig[], live: ReadonlyMap<string, number>, recordPools: readonly string[]): Map<string, number> {
  let used: Resources = usage(pools, recordPools);
  const slots = new Map<string, number>();
  for (const pool of pools) {
    let n = 0;
    while (n < pool.max - (live.get(pool.name) ?? 0) && fits(used, pool, config.host)) {
      used = add(used, pool);
      n++;
    }
    slots.set(pool.name, n);
  }
  return slots;
}

/** A pool as this host's heartbeat reports it. */
export function poolFacts(pool: PoolConfig, configured: PoolConfig, counts: PoolCounts, slots: number): HostPoolFacts {
  return {
    name: pool.name,
    labels: [...pool.labels],
    min: configured.min,
    max: configured.max,
    idle: counts.idle,
    busy: counts.busy,
    starting: counts.provisioning + counts.booting,
    freeSlots: slots,
  };
}
