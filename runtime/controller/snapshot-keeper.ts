/**
 * Keeps a snapshot ready for every pool that restores (`start` absent or `restore`): at start it
 * sweeps what an interrupted make left, then makes each missing snapshot, one at a time, in the
 * background; a failed make is logged and tried again later (meanwhile those pools boot, and
 * each boot is counted as a fallback). Stopped with the controller; a make under way is abandoned
 * and cleaned up.
 */
import type { ControllerContext } from "./context.ts";
import { makeSnapshot, readySnapshot, restores, sweepSnapshots, wantedKeys } from "./snapshot-store.ts";

export interface SnapshotKeeper {
  stop(): Promise<void>;
}

export function startSnapshotKeeper(ctx: ControllerContext, options: { retryMs?: number } = {}): SnapshotKeeper {
  const retryMs = options.retryMs ?? 10 * 60_000;
  const abort = new AbortController();
  const pools = ctx.config.pools.filter((p) => restores(ctx, p));
  const running = (async () => {
    if (pools.length === 0) return;
    await sweepSnapshots(ctx, wantedKeys(ctx), { stale: false });
    while (!abort.signal.aborted) {
      for (const pool of pools) {
        if (abort.signal.aborted || (await readySnapshot(ctx, pool))) continue;
        try {
          await makeSnapshot(ctx, pool, { bootTimeoutMs: ctx.config.timing.bootTimeoutSeconds * 1000, signal: abort.signal });
        } catch (error) {
          if (abort.signal.aborted) break;
          const detail = error instanceof Error ? error.message : String(error);
          ctx.logger.warn({ event: "snapshot_failed", pool: pool.name, err: detail }, "could not make the pool's snapshot; its VMs boot");
        }
      }
      await ctx.clock.sleep(retryMs, abort.signal).catch(() => undefined);
    }
  })().catch((error: unknown) => {
    ctx.logger.warn({ event: "snapshot_keeper_failed", err: error instanceof Error ? error.message : String(error) }, "snapshot upkeep stopped");
  });
  return {
    async stop() {
      abort.abort();
      await running;
    },
  };
}
