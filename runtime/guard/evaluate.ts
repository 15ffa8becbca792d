/**
 * The guard's decision, a pure function of plain data: the evidence, the routing variable of
 * one repository (value and when GitHub says it last changed) with the last change record,
 * and the guard's memory of its last trigger.
 *
 * State machine (docs/operations.md, "The guard"):
 *
 *   enabled      variable is "true"
 *       -- any trigger --> rollback (variable "false", change recorded)
 *   rolled-back  variable not "true"; last change is a guard rollback that may be undone;
 *                auto-restore is configured
 *       -- no trigger for healthyMinutes since the rollback and since the last trigger --> restore
 *   held         variable not "true" in any other way: an operator's rollback, a guard rollback
 *                that disabled auto-restore, auto-restore not configured, a change by hand
 *       -- only `fleet restore` leaves it
 *
 * Hysteresis: evidence counts only from the last change on (old failures cannot undo a
 * restore at once), and a trigger within windowMinutes after a restore rolls back with
 * auto-restore disabled, so routing flips at most once per window by itself.
 */
import { routingEnabled } from "../routing/decide.ts";
import { bootFailureTrigger } from "./boot-failures.ts";
import { controllerOfflineTrigger } from "./controller-offline.ts";
import type { GuardEvidence } from "./evidence.ts";
import type { GuardConfig } from "./guard-config.ts";
import { queueWaitTrigger } from "./queue-wait.ts";
import { routeMismatchTrigger } from "./route-mismatch.ts";
import type { RoutingChange } from "./routing-change.ts";
import type { Trigger } from "./trigger.ts";

export interface RoutingState {
  /** The routing variable's raw value; undefined when it does not exist. */
  value: string | undefined;
  /** GitHub's `updated_at` of the variable (epoch ms). */
  updatedAt: number | undefined;
  change: RoutingChange | undefined;
}

export type GuardSettings = Pick<GuardConfig, "thresholds" | "autoRestore">;

export interface GuardInput {
  now: number;
  routing: RoutingState;
  evidence: GuardEvidence;
  /** Last time an evaluation found a trigger (the guard's memory), if known. */
  lastTriggerAt?: number;
  settings: GuardSettings;
}

export type GuardState = "enabled" | "rolled-back" | "held";

export interface GuardDecision {
  state: GuardState;
  triggers: Trigger[];
  action: "rollback" | "restore" | "none";
  reason: string;
  /** Evidence older than this was ignored (the last routing change). */
  since: number | undefined;
  /** For a rollback: whether the guard may restore it later by itself. */
  autoRestore?: "allowed" | "disabled";
}

/** Evidence counts from the last change of routing on, whoever made it. */
export function evidenceSince(routing: RoutingState): number | undefined {
  const times = [routing.change?.at, routing.updatedAt].filter((t): t is number => t !== undefined);
  return times.length === 0 ? undefined : Math.max(...times);
}

export function evaluateTriggers(evidence: GuardEvidence, settings: GuardSettings, now: number, since: number | undefined): Trigger[] {
  const { thresholds } = settings;
  const range = since === undefined ? {} : { since };
  const triggers = [
    bootFailureTrigger(evidence.bootAttempts, { threshold: thresholds.consecutiveBootFailures, ...range }),
    queueWaitTrigger(evidence.queueSamples, { jobs: thresholds.queueWaitJobs, limitSeconds: thresholds.queueWaitSeconds, ...range }),
    controllerOfflineTrigger(evidence.controllers, { now, limitMinutes: thresholds.offlineMinutes }),
    routeMismatchTrigger(evidence.runs ?? [], evidence.refusals, range),
  ];
  return triggers.filter((t): t is Trigger => t !== undefined);
}

export function guardState(routing: RoutingState, settings: GuardSettings): GuardState {
  if (routingEnabled(routing.value)) return "enabled";
  const change = routing.change;
  const restorable =
    change !== undefined &&
    change.value === "false" &&
    change.source === "guard" &&
    change.autoRestore === "allowed" &&
    // A change by hand after the record (variable newer than it) is not the guard's to undo.
    (routing.updatedAt === undefined || routing.updatedAt <= change.at + 60_000);
  return restorable && settings.autoRestore.enabled ? "rolled-back" : "held";
}

const minutes = (ms: number) => `${Math.round(ms / 6_000) / 10} min`;

export function evaluateGuard(input: GuardInput): GuardDecision {
  const { now, routing, settings } = input;
  const since = evidenceSince(routing);
  const triggers = evaluateTriggers(input.evidence, settings, now, since);
  const state = guardState(routing, settings);
  const base = { state, triggers, since };

  if (state === "enabled") {
    if (triggers.length === 0) return { ...base, action: "none", reason: "routing is on and no trigger is active" };
    const change = routing.change;
    const windowMs = settings.autoRestore.windowMinutes * 60_000;
    const flapping = change !== undefined && change.value === "true" && now - change.at < windowMs;
    return {
      ...base,
      action: "rollback",
      reason: triggers.map((t) => t.message).join("; "),
      autoRestore: flapping ? "disabled" : "allowed",
    };
  }

  if (state === "held") {
    return { ...base, action: "none", reason: heldReason(routing, settings, triggers.length > 0) };
  }

  // rolled-back: restore after the healthy period, counted from the rollback and from the last trigger.
  if (triggers.length > 0) return { ...base, action: "none", reason: "routing is off (guard rollback) and triggers are still active" };
  const change = routing.change!;
  const healthyFrom = Math.max(change.at, input.lastTriggerAt ?? change.at);
  const healthyMs = settings.autoRestore.healthyMinutes * 60_000;
  if (now - healthyFrom < healthyMs) {
    return {
      ...base,
      action: "none",
      reason: `routing is off (guard rollback); healthy for ${minutes(now - healthyFrom)} of ${minutes(healthyMs)} before auto-restore`,
    };
  }
  return { ...base, action: "restore", reason: `no trigger for ${minutes(now - healthyFrom)} since the guard's rollback (healthy period ${minutes(healthyMs)})` };
}

function heldReason(routing: RoutingState, settings: GuardSettings, triggered: boolean): string {
  const change = routing.change;
  const still = triggered ? "; triggers are active" : "";
  if (routing.value === undefined) return `the routing variable does not exist: routing is off until it is set${still}`;
  if (change === undefined || change.value !== "false") return `routing was turned off outside the guard (variable ${JSON.stringify(routing.value)}); only fleet restore turns it on${still}`;
  if (change.source === "operator") return `routing was rolled back by ${change.by}; only fleet restore turns it on${still}`;
  if (change.autoRestore === "disabled") return `the guard rolled back within the flap window after a restore; auto-restore is disabled until fleet restore${still}`;
  if (!settings.autoRestore.enabled) return `routing is off (guard rollback); auto-restore is not configured, so only fleet restore turns it on${still}`;
  return `the routing variable changed after the guard's rollback; only fleet restore turns it on${still}`;
}
