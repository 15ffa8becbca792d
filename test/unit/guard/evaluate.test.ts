/** The guard's state machine and hysteresis, over plain data. */
import { describe, expect, it } from "vitest";
import { evaluateGuard, evidenceSince, guardState, type GuardInput, type RoutingState } from "../../../runtime/guard/evaluate.ts";
import type { BootAttempt, GuardEvidence } from "../../../runtime/guard/evidence.ts";
import { defaultGuardConfig } from "../../../runtime/guard/guard-config.ts";
import type { RoutingChange } from "../../../runtime/guard/routing-change.ts";
import { minute, t0 } from "./fixtures.ts";

const hour = 60 * minute;
const settings = { ...defaultGuardConfig, autoRestore: { enabled: true, healthyMinutes: 60, windowMinutes: 1440 } };
const healthy: GuardEvidence = { bootAttempts: [], queueSamples: [], controllers: [], refusals: [], runs: [] };
const failing = (at: number): GuardEvidence => ({
  ...healthy,
  bootAttempts: [1, 2].map((i): BootAttempt => ({ host: "h1", vm: `vm${i}`, at: at + i, ok: false, reason: "boot_failed" })),
});

function change(o: Partial<RoutingChange>): RoutingChange {
  return { value: "false", reason: "r", triggers: [], at: t0, by: "guard on h1", source: "guard", autoRestore: "allowed", ...o };
}
const on = (c?: RoutingChange): RoutingState => ({ value: "true", updatedAt: c?.at ?? t0 - 48 * hour, change: c });
const off = (c?: RoutingChange): RoutingState => ({ value: "false", updatedAt: c?.at ?? t0 - 48 * hour, change: c });
const input = (o: Partial<GuardInput>): GuardInput => ({ now: t0, routing: on(), evidence: healthy, settings, ...o });

describe("guard decision", () => {
  it("does nothing while routing is on and nothing is wrong", () => {
    expect(evaluateGuard(input({}))).toMatchObject({ state: "enabled", action: "none", triggers: [] });
  });

  it("rolls back on any trigger while routing is on, with the triggers as the reason", () => {
    const decision = evaluateGuard(input({ now: t0 + 5 * minute, evidence: failing(t0) }));
    expect(decision).toMatchObject({ state: "enabled", action: "rollback", autoRestore: "allowed" });
    expect(decision.triggers.map((t) => t.kind)).toEqual(["boot-failures"]);
    expect(decision.reason).toContain("host h1: the last 2 runner boots failed");
  });

  it("ignores evidence from before the last change: a restore is not undone by the failures that caused the rollback", () => {
    const restored = change({ value: "true", at: t0 + hour, source: "operator" });
    expect(evaluateGuard(input({ now: t0 + 2 * hour, routing: on(restored), evidence: failing(t0) })).action).toBe("none");
    // ...and GitHub's updated_at counts as a change too (the variable was flipped by hand).
    expect(evidenceSince({ value: "true", updatedAt: t0 + 3 * hour, change: restored })).toBe(t0 + 3 * hour);
  });

  it("a trigger within the window after a restore rolls back and disables auto-restore", () => {
    const restored = change({ value: "true", at: t0, source: "guard" });
    const soon = evaluateGuard(input({ now: t0 + 2 * hour, routing: on(restored), evidence: failing(t0 + hour) }));
    expect(soon).toMatchObject({ action: "rollback", autoRestore: "disabled" });
    const later = evaluateGuard(input({ now: t0 + 25 * hour, routing: on(restored), evidence: failing(t0 + 24 * hour) }));
    expect(later).toMatchObject({ action: "rollback", autoRestore: "allowed" });
  });

  it("restores a guard rollback only after the healthy period with no trigger", () => {
    const rollback = change({ at: t0 });
    expect(evaluateGuard(input({ now: t0 + 59 * minute, routing: off(rollback) }))).toMatchObject({ state: "rolled-back", action: "none" });
    expect(evaluateGuard(input({ now: t0 + 60 * minute, routing: off(rollback) }))).toMatchObject({ state: "rolled-back", action: "restore" });
    // A trigger since the rollback keeps it off, and the healthy period restarts from the last trigger.
    expect(evaluateGuard(input({ now: t0 + 2 * hour, routing: off(rollback), evidence: failing(t0 + 90 * minute) })).action).toBe("none");
    expect(evaluateGuard(input({ now: t0 + 2 * hour, routing: off(rollback), lastTriggerAt: t0 + 90 * minute })).action).toBe("none");
    expect(evaluateGuard(input({ now: t0 + 150 * minute, routing: off(rollback), lastTriggerAt: t0 + 90 * minute })).action).toBe("restore");
  });

  it("never restores what it may not: operator rollbacks, disabled auto-restore, auto-restore not configured, changes by hand", () => {
    const late = t0 + 10 * hour;
    const held = (routing: RoutingState, s = settings) => evaluateGuard({ now: late, routing, evidence: healthy, settings: s });
    expect(held(off(change({ source: "operator", by: "alice@laptop (fleet rollback)" })))).toMatchObject({ state: "held", action: "none", reason: expect.stringContaining("alice@laptop") });
    expect(held(off(change({ autoRestore: "disabled" })))).toMatchObject({ state: "held", reason: expect.stringContaining("auto-restore is disabled") });
    expect(held(off(change({})), defaultGuardConfig)).toMatchObject({ state: "held", reason: expect.stringContaining("not configured") });
    expect(held(off())).toMatchObject({ state: "held", reason: expect.stringContaining("outside the guard") });
    expect(held({ value: undefined, updatedAt: undefined, change: undefined })).toMatchObject({ state: "held", reason: expect.stringContaining("does not exist") });
    // The guard's rollback record, but the variable was changed again afterwards by someone else.
    expect(guardState({ value: "false", updatedAt: t0 + hour, change: change({ at: t0 }) }, settings)).toBe("held");
  });

  it("reports triggers while routing is already off, without acting", () => {
    const decision = evaluateGuard(input({ now: t0 + hour, routing: off(change({ at: t0 })), evidence: failing(t0 + 30 * minute) }));
    expect(decision).toMatchObject({ state: "rolled-back", action: "none" });
    expect(decision.triggers).toHaveLength(1);
  });

  it("only the exact value true is on", () => {
    expect(guardState({ value: "TRUE", updatedAt: t0, change: undefined }, settings)).toBe("held");
    expect(guardState({ value: "true", updatedAt: t0, change: undefined }, settings)).toBe("enabled");
  });
});
