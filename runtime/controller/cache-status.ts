/**
 * Dependency caches in the status document (`fleet status`, /status): per pool and cache, the
 * sizes on the host and, over the recent jobs, the hit rate (a hit: the job's VM got a generation
 * a job had published, not the empty one) and what became of the jobs' writable copies.
 */
import type { PoolConfig } from "../config/controller-config.ts";
import type { CacheSizes } from "../caches/cache-store.ts";
import type { HistoryEntry } from "./vm-record.ts";

export interface CacheStatus {
  pool: string;
  name: string;
  path: string;
  sizeMiB: number;
  /** The generation new VMs get (null: none made yet). */
  current: number | null;
  currentBytes: number;
  generations: number;
  totalBytes: number;
  /** Recent jobs that ran with this cache, those that got a published generation, and hits/jobs. */
  jobs: number;
  hits: number;
  hitRate: number | null;
  published: number;
  discarded: number;
}

export function cacheStatus(
  pools: readonly PoolConfig[],
  recent: readonly HistoryEntry[],
  sizesOf: (pool: string, cache: string) => CacheSizes | undefined,
): CacheStatus[] {
  return pools.flatMap((pool) =>
    (pool.caches ?? []).map((cache) => {
      const uses = recent
        .filter((e) => e.pool === pool.name && (e.job !== undefined || e.times.assigned !== undefined))
        .map((e) => e.caches?.[cache.name])
        .filter((u) => u !== undefined);
      const hits = uses.filter((u) => u.generation > 0).length;
      const sizes = sizesOf(pool.name, cache.name);
      return {
        pool: pool.name,
        name: cache.name,
        path: cache.path,
        sizeMiB: cache.sizeMiB,
        current: sizes?.current ?? null,
        currentBytes: sizes?.currentBytes ?? 0,
        generations: sizes?.generations ?? 0,
        totalBytes: sizes?.totalBytes ?? 0,
        jobs: uses.length,
        hits,
        hitRate: uses.length === 0 ? null : hits / uses.length,
        published: uses.filter((u) => u.published !== undefined).length,
        discarded: uses.filter((u) => u.discarded !== undefined).length,
      };
    }),
  );
}
