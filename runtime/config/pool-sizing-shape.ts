/**
 * A pool's warm-pool settings (`docs/controller.md#pool-sizing`), spread into `poolSchema`.
 * Optional without defaults, so code that builds a pool by hand needs none of them:
 * `poolSizingSettings` fills them in, in one place.
 */
import { z } from "zod";

export const defaultColdStartTarget = 0.05;
export const defaultIdleTimeoutSeconds = 60;

export const poolSizingShape = {
  /** `fixed`: keep `target` (or `min`) warm. `adaptive`: follow demand from the job history. */
  sizing: z.enum(["fixed", "adaptive"]).optional(),
  /** Adaptive: the chance a job may have to wait for a boot, e.g. 0.05 (5 %). */
  coldStartTarget: z.number().gt(0, "must be above 0").lt(1, "must be below 1").optional(),
  /** A warm VM the pool no longer needs is removed after it has been idle this long. */
  idleTimeoutSeconds: z.number().int().min(0).max(86_400).optional(),
};

export interface PoolSizingSettings {
  sizing: "fixed" | "adaptive";
  coldStartTarget: number;
  idleTimeoutMs: number;
}

type WithSizing = { [K in keyof typeof poolSizingShape]?: z.output<(typeof poolSizingShape)[K]> };

export function poolSizingSettings(pool: WithSizing): PoolSizingSettings {
  return {
    sizing: pool.sizing ?? "fixed",
    coldStartTarget: pool.coldStartTarget ?? defaultColdStartTarget,
    idleTimeoutMs: (pool.idleTimeoutSeconds ?? defaultIdleTimeoutSeconds) * 1000,
  };
}
