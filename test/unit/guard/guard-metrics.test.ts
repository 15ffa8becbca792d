import { describe, expect, it } from "vitest";
import { defaultGuardConfig } from "../../../runtime/guard/guard-config.ts";
import { initializeGuardSeries, recordGuardRound, stateAfter } from "../../../runtime/guard/guard-metrics.ts";
import type { GuardDecision } from "../../../runtime/guard/evaluate.ts";
import type { AppliedChange } from "../../../runtime/guard/apply.ts";
import { createMetrics } from "../../../runtime/observability/metrics.ts";

const t0 = Date.parse("2026-01-01T12:00:00Z");
const trigger = { kind: "boot-failures" as const, message: "2 boots failed on h1" };
const rollbackDecision: GuardDecision = { state: "enabled", triggers: [trigger], action: "rollback", reason: trigger.message, since: undefined, autoRestore: "allowed" };
const rollback = (autoRestore: "allowed" | "disabled", error?: string): AppliedChange => ({
  repository: "acme/app",
  action: "rollback",
  change: { value: "false", reason: trigger.message, triggers: [trigger], at: t0, by: "guard on h1", source: "guard", autoRestore },
  ...(error ? { error } : {}),
});
const withAutoRestore = { ...defaultGuardConfig, autoRestore: { ...defaultGuardConfig.autoRestore, enabled: true } };

describe("the guard's state after a round", () => {
  it.each([
    ["no change applied: as decided", undefined, defaultGuardConfig, "enabled"],
    ["the write failed: unchanged", rollback("allowed", "502"), withAutoRestore, "enabled"],
    ["rolled back, auto-restore on", rollback("allowed"), withAutoRestore, "rolled-back"],
    ["rolled back, auto-restore off in the config", rollback("allowed"), defaultGuardConfig, "held"],
    ["rolled back for good (flapping)", rollback("disabled"), withAutoRestore, "held"],
  ] as const)("%s", (_name, applied, settings, expected) => {
    expect(stateAfter(rollbackDecision, applied, settings)).toBe(expected);
  });
});

async function sample(metrics: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))?.value;
}

describe("guard metrics", () => {
  it("records the state, the active triggers and the applied rollback", async () => {
    const metrics = createMetrics({ processMetrics: false });
    initializeGuardSeries(metrics, ["acme/app"]);
    expect(await sample(metrics, "runner_fleet_guard_decisions_total", { repository: "acme/app", action: "rollback", result: "applied" })).toBe(0);
    recordGuardRound(metrics, { assessment: { repositories: [{ repository: "acme/app", routing: {} as never, decision: rollbackDecision }] }, applied: [rollback("allowed")] }, withAutoRestore);
    expect(await sample(metrics, "runner_fleet_guard_state", { repository: "acme/app", state: "rolled-back" })).toBe(1);
    expect(await sample(metrics, "runner_fleet_guard_state", { repository: "acme/app", state: "enabled" })).toBe(0);
    expect(await sample(metrics, "runner_fleet_guard_triggers", { repository: "acme/app", kind: "boot-failures" })).toBe(1);
    expect(await sample(metrics, "runner_fleet_guard_triggers", { repository: "acme/app", kind: "queue-wait" })).toBe(0);
    expect(await sample(metrics, "runner_fleet_guard_decisions_total", { repository: "acme/app", action: "rollback", result: "applied" })).toBe(1);
    expect(await sample(metrics, "runner_fleet_guard_rounds_total", { result: "ok" })).toBe(1);
  });

  it("counts a failed round and a failed write", async () => {
    const metrics = createMetrics({ processMetrics: false });
    recordGuardRound(metrics, { applied: [], error: "GitHub unreachable" }, defaultGuardConfig);
    recordGuardRound(metrics, { assessment: { repositories: [] }, applied: [rollback("allowed", "502")] }, defaultGuardConfig);
    expect(await sample(metrics, "runner_fleet_guard_rounds_total", { result: "failed" })).toBe(1);
    expect(await sample(metrics, "runner_fleet_guard_decisions_total", { repository: "acme/app", action: "rollback", result: "failed" })).toBe(1);
  });
});
