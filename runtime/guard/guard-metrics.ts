/**
 * The guard's rounds as metrics (runtime/observability/metric-catalog.ts): each repository's
 * routing state once the round's changes are applied, the triggers active in the last round,
 * and the rollbacks and restores the guard applied or failed to apply. Only the controller that
 * runs the guard exports them.
 */
import type { Metrics } from "../observability/metrics.ts";
import type { AppliedChange } from "./apply.ts";
import type { RepositoryAssessment } from "./collect.ts";
import { guardState, type GuardSettings, type GuardState } from "./evaluate.ts";
import { triggerKinds } from "./trigger.ts";

const states: readonly GuardState[] = ["enabled", "rolled-back", "held"];
const actions: readonly AppliedChange["action"][] = ["rollback", "restore"];
const results = ["applied", "failed"] as const;

export type GuardMetrics = Pick<Metrics, "guardState" | "guardTriggers" | "guardDecisions" | "guardRounds">;

/** Counters start at 0, so Prometheus's rate() counts the first rollback (see initial-series.ts). */
export function initializeGuardSeries(metrics: GuardMetrics, repositories: readonly string[]): void {
  for (const result of ["ok", "failed"]) metrics.guardRounds.inc({ result }, 0);
  for (const repository of repositories) {
    for (const action of actions) for (const result of results) metrics.guardDecisions.inc({ repository, action, result }, 0);
  }
}

/** Where a repository's routing stands after the round: a change GitHub took moves it on. */
export function stateAfter(decision: RepositoryAssessment["decision"], applied: AppliedChange | undefined, settings: GuardSettings): GuardState {
  if (!applied || applied.error) return decision.state;
  return guardState({ value: applied.change.value, updatedAt: applied.change.at, change: applied.change }, settings);
}

export function recordGuardRound(
  metrics: GuardMetrics,
  round: { assessment?: { repositories: RepositoryAssessment[] }; applied: AppliedChange[]; error?: string },
  settings: GuardSettings,
): void {
  metrics.guardRounds.inc({ result: round.error ? "failed" : "ok" });
  for (const { repository, decision } of round.assessment?.repositories ?? []) {
    const state = stateAfter(decision, round.applied.find((a) => a.repository === repository), settings);
    for (const s of states) metrics.guardState.set({ repository, state: s }, s === state ? 1 : 0);
    const active = new Set(decision.triggers.map((t) => t.kind));
    for (const kind of triggerKinds) metrics.guardTriggers.set({ repository, kind }, active.has(kind) ? 1 : 0);
  }
  for (const change of round.applied) {
    metrics.guardDecisions.inc({ repository: change.repository, action: change.action, result: change.error ? "failed" : "applied" });
  }
}
