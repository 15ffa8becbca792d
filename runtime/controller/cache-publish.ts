/**
 * What becomes of a finished VM's writable cache copies (docs/caches.md), once its domain is
 * gone and nothing can write them any more: the copy of a job that GitHub's record of the run
 * says may publish, and that succeeded, becomes its cache's next generation; every other copy is
 * thrown away. Then old generations no live VM uses are evicted. Runs inside the teardown, so a
 * crash mid-way is finished by the teardown's retry; what is settled is kept in the record.
 */
import { writableCopyPath } from "../caches/cache-store.ts";
import { publishDecision } from "../caches/generations.ts";
import type { ControllerContext } from "./context.ts";
import type { VmRecord } from "./vm-record.ts";

export async function settleCaches(ctx: ControllerContext, record: VmRecord): Promise<void> {
  const store = ctx.caches;
  const pool = ctx.config.pools.find((p) => p.name === record.pool);
  if (!store || !pool?.caches?.length) return;
  const log = ctx.logger.child({ runner: record.name, pool: pool.name, jobId: record.job?.id });
  const unsettled = pool.caches.filter((c) => {
    const use = record.caches?.[c.name];
    return use !== undefined && use.published === undefined && use.discarded === undefined;
  });
  const ranJob = record.job !== undefined || record.times.assigned !== undefined;
  const publisher = unsettled.length > 0 && ranJob ? await publisherOf(ctx, record) : undefined;
  const conclusion = record.teardown?.reason === "completed" ? record.job?.conclusion : undefined;

  for (const cache of pool.caches) {
    const copy = writableCopyPath(ctx.config.paths.state, record.name, cache.name);
    const use = record.caches?.[cache.name];
    if (use && unsettled.includes(cache)) {
      const decision = publishDecision({ publisher, conclusion });
      let result: string = decision.promote ? "promoted" : decision.reason;
      if (decision.promote) {
        const promoted = await store.promote(pool.name, cache, copy);
        if ("refused" in promoted) {
          result = "over-cap";
          log.warn({ event: "cache_refused", cache: cache.name, why: promoted.refused }, "cache generation over its cap; discarded");
        } else {
          use.published = promoted.id;
          log.info({ event: "cache_published", cache: cache.name, generation: promoted.id, bytes: promoted.bytes, from: use.generation }, "cache generation published");
        }
      }
      if (use.published === undefined) use.discarded = result;
      // Settled before the copy goes: a teardown retried after a crash does not publish twice.
      await ctx.records.put(record);
      if (ranJob) {
        ctx.metrics.cacheCopies.inc({ pool: pool.name, cache: cache.name, result });
        ctx.metrics.cacheJobs.inc({ pool: pool.name, cache: cache.name, result: use.generation > 0 ? "hit" : "miss" });
      }
    }
    await store.removeWritableCopy(copy);
    const inUse = new Set((await ctx.records.list()).filter((r) => r.name !== record.name).map((r) => r.caches?.[cache.name]?.generation).filter((g): g is number => g !== undefined));
    const evicted = await store.evict(pool.name, cache, inUse);
    if (evicted.length > 0) log.info({ event: "cache_evicted", cache: cache.name, generations: evicted }, "old cache generations evicted");
    const sizes = store.sizesOf(pool.name, cache.name);
    if (sizes) {
      ctx.metrics.cacheBytes.set({ pool: pool.name, cache: cache.name, kind: "current" }, sizes.currentBytes);
      ctx.metrics.cacheBytes.set({ pool: pool.name, cache: cache.name, kind: "all" }, sizes.totalBytes);
    }
  }
}

/** Whether GitHub's record of the job's run lets it publish; undefined when that cannot be known. */
async function publisherOf(ctx: ControllerContext, record: VmRecord): Promise<boolean | undefined> {
  const { repository, runId } = record.job ?? {};
  if (!ctx.judgeRun || repository === undefined || runId === undefined) return undefined;
  try {
    const verdict = await ctx.judgeRun(repository, runId);
    return verdict.publishCaches === true && verdict.refuse === undefined;
  } catch {
    return undefined;
  }
}
