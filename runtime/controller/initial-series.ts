/**
 * Counters start at zero for every label value known at start. Prometheus's rate() and
 * increase() cannot count the sample a series first appears with, so without this the first VM
 * failure (or job, or refusal) of each kind after a controller start would never reach a
 * dashboard or an alert (components/alert-rules.ts).
 */
import type { Metrics } from "../observability/metrics.ts";
import { reasonCodes } from "../routing/reasons.ts";
import { fallbackReasons } from "./restore-start.ts";
import { failureReasons, type Outcome } from "./vm-record.ts";

/** The outcomes counted in runner_fleet_jobs_total (teardown.ts counts every one but "unused"). */
const countedOutcomes = ["success", "failure", "cancelled", "completed", "refused", "lost"] as const satisfies readonly Exclude<Outcome, "unused">[];

export function initializeSeries(metrics: Metrics, pools: readonly string[], caches: readonly { pool: string; cache: string }[] = []): void {
  for (const labels of caches) for (const result of ["hit", "miss"]) metrics.cacheJobs.inc({ ...labels, result }, 0);
  for (const pool of pools) {
    for (const outcome of countedOutcomes) metrics.jobs.inc({ pool, outcome }, 0);
    for (const reason of failureReasons) metrics.vmFailures.inc({ pool, reason }, 0);
    // Every pool: a boot pool's zero is true, and the driver decides later whether a pool restores.
    for (const reason of fallbackReasons) metrics.restoreFallbacks.inc({ pool, reason }, 0);
  }
  for (const reason of reasonCodes) if (!reason.startsWith("trusted-")) metrics.untrustedRefused.inc({ reason }, 0);
}
