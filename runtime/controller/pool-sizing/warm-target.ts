/** The warm target a pool's plan works to: its configured one (`fixed`), or the adaptive one from its demand. */
import { poolTarget, type PoolConfig } from "../../config/controller-config.ts";
import { poolSizingSettings } from "../../config/pool-sizing-shape.ts";
import { adaptiveTarget, type AdaptiveTarget } from "./adaptive-target.ts";
import type { PoolDemand } from "./pool-demand.ts";

export interface WarmTarget {
  sizing: "fixed" | "adaptive";
  target: number;
  /** Adaptive pools: what the target was computed from. */
  adaptive?: AdaptiveTarget;
}

export function warmTarget(pool: PoolConfig, demand: () => PoolDemand, now: number): WarmTarget {
  const settings = poolSizingSettings(pool);
  if (settings.sizing === "fixed") return { sizing: "fixed", target: poolTarget(pool) };
  const { arrivals, since, replenishMs } = demand();
  const adaptive = adaptiveTarget({
    arrivals,
    ...(since === undefined ? {} : { since }),
    now,
    replenishMs,
    coldStartTarget: settings.coldStartTarget,
    min: pool.min,
    max: pool.max,
  });
  return { sizing: "adaptive", target: adaptive.target, adaptive };
}
