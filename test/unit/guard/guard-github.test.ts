/**
 * The guard against GitHub (the emulator on loopback, through the Octokit adapter): routing
 * state and change records, run analysis from real runs and jobs, rollback and restore, the
 * hysteresis across rounds, and faults.
 */
import { rm } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyAssessment } from "../../../runtime/guard/apply.ts";
import { assessFleet, type GuardSources } from "../../../runtime/guard/collect.ts";
import { RunReader } from "../../../runtime/guard/github-runs.ts";
import { defaultGuardConfig, guardConfigSchema, type GuardConfig } from "../../../runtime/guard/guard-config.ts";
import { inMemoryGuardMemory } from "../../../runtime/guard/guard-memory.ts";
import { parseRoutingChange, routingChangeVariableName } from "../../../runtime/guard/routing-change.ts";
import { readRoutingState, writeRoutingChange } from "../../../runtime/guard/routing-variables.ts";
import type { Emulator } from "../../../runtime/emulator/server.ts";
import { startEmulatorChecked } from "../../support/checked-emulator.ts";
import { opsGitHub } from "../../../runtime/ops/github-client.ts";
import { systemClock } from "../../../runtime/ports/clock.ts";
import { routingVariableName } from "../../../runtime/routing/decide.ts";
import { fleetLabels } from "./fixtures.ts";
import { emulatorConfig, routingOnSinceAMinute, runOnHostedRunner, setVariable, staticToken, tempDir, variable } from "./emulator-support.ts";

let emulator: Emulator;
let dir: string;
const steps = [{ name: "t", run: "true" }];

beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));
beforeEach(async () => {
  emulator = await startEmulatorChecked({ staticTokens: [staticToken] });
});
afterEach(() => emulator.close());

function sources(guard: Partial<GuardConfig> = {}, extra: Partial<GuardSources> = {}): GuardSources & { github: ReturnType<typeof opsGitHub> } {
  const config = emulatorConfig(emulator, dir, { guard: { ...guard } });
  const github = opsGitHub(config, { writeSpacingMs: 0 });
  return {
    config,
    guard: config.guard ?? defaultGuardConfig,
    octokit: github.octokit,
    runs: new RunReader(github.octokit),
    clock: systemClock,
    memory: inMemoryGuardMemory(),
    controllerUrls: [],
    github,
    ...extra,
  };
}

const pr = (number: number, o: { association?: "MEMBER" | "CONTRIBUTOR"; fork?: string } = {}) => ({
  name: "pull_request",
  sender: { login: "octocat", type: "User" as const },
  pullRequest: { number, authorAssociation: o.association ?? "MEMBER", ...(o.fork ? { headRepository: o.fork } : {}) },
});

describe("guard against GitHub", () => {
  it("reads the routing variable with GitHub's updated_at and the change record it writes", async () => {
    const s = sources();
    expect(await readRoutingState(s.octokit, "acme/app")).toEqual({ value: undefined, updatedAt: undefined, change: undefined });
    const change = { value: "false" as const, reason: "drill", triggers: [], at: Date.now(), by: "test", source: "operator" as const, autoRestore: "disabled" as const };
    await writeRoutingChange(s.github, "acme/app", change);
    const state = await readRoutingState(s.octokit, "acme/app");
    expect(state.value).toBe("false");
    expect(Math.abs(state.updatedAt! - Date.now())).toBeLessThan(5_000);
    expect(state.change).toEqual({ ...change, at: new Date(new Date(change.at).toISOString()).getTime() });
    setVariable(emulator, "acme/app", routingChangeVariableName, "{broken");
    expect((await readRoutingState(s.octokit, "acme/app")).invalidRecord).toBe("not JSON");
  });

  it("finds no trigger for trusted runs on the fleet, and rolls back for an untrusted run queued for it", async () => {
    routingOnSinceAMinute(emulator);
    const s = sources();
    const quiet = await assessFleet(s);
    expect(quiet.repositories[0]!.decision).toMatchObject({ state: "enabled", action: "none", triggers: [] });

    emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps, event: pr(5, { fork: "mallory/app" }) });
    const assessed = await assessFleet(s);
    const decision = assessed.repositories[0]!.decision;
    expect(decision.action).toBe("rollback");
    expect(decision.triggers.map((t) => t.kind)).toEqual(["route-mismatch"]);
    expect(decision.reason).toContain("untrusted run on the fleet (fork)");
    // A dry run (assess without apply) leaves routing alone.
    expect(variable(emulator, "acme/app", routingVariableName)).toBe("true");

    const applied = await applyAssessment(s.github, assessed, { by: "guard on h1", now: () => Date.now() });
    expect(applied).toMatchObject([{ repository: "acme/app", action: "rollback" }]);
    expect(applied[0]!.error).toBeUndefined();
    expect(variable(emulator, "acme/app", routingVariableName)).toBe("false");
    const record = parseRoutingChange(variable(emulator, "acme/app", routingChangeVariableName));
    expect(record).toMatchObject({ value: "false", source: "guard", by: "guard on h1", autoRestore: "allowed", triggers: [{ kind: "route-mismatch" }] });

    // The next round: the run that caused it is older than the rollback; auto-restore is off: held.
    const after = await assessFleet(s);
    expect(after.repositories[0]!.decision).toMatchObject({ state: "held", action: "none", triggers: [] });
  });

  it("flags a trusted run of a routed workflow that ran on a hosted runner while routing was on", async () => {
    routingOnSinceAMinute(emulator);
    const s = sources();
    // CI routes: one of its runs waits for the fleet (so the workflow is known to route), one ran hosted.
    emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps, event: pr(1) });
    emulator.enqueueJob({ repository: "acme/app", labels: ["ubuntu-latest"], steps, event: pr(2) });
    // A workflow that never routes runs hosted by design.
    emulator.enqueueJob({ repository: "acme/app", labels: ["ubuntu-latest"], workflowName: "Lint", steps, event: pr(3) });
    await runOnHostedRunner(emulator);
    await runOnHostedRunner(emulator);
    const assessed = await assessFleet(s);
    const runs = assessed.evidence.runs!;
    expect(runs.map((r) => [r.workflowName, r.trust, r.placement, r.mismatch ?? null]).sort()).toEqual([
      ["CI", "trusted", "fleet", null],
      ["CI", "trusted", "hosted", "trusted-on-hosted"],
      ["Lint", "trusted", "hosted", null],
    ]);
    expect(assessed.repositories[0]!.decision.triggers.map((t) => t.kind)).toEqual(["route-mismatch"]);
  });

  it("counts trusted jobs stuck in the fleet's queue with their age", async () => {
    routingOnSinceAMinute(emulator);
    const s = sources({ thresholds: { consecutiveBootFailures: 2, queueWaitSeconds: 0.2, queueWaitJobs: 10, offlineMinutes: 10 } });
    emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps, event: pr(1) });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const decision = (await assessFleet(s)).repositories[0]!.decision;
    expect(decision.triggers.map((t) => t.kind)).toEqual(["queue-wait"]);
    expect(decision.reason).toMatch(/p95 queue wait \d+ s over the latest 1 trusted jobs, 1 still waiting exceeds 0.2 s/);
  });

  it("restores a guard rollback after the healthy period, and a trigger soon after disables auto-restore", async () => {
    const guard = guardConfigSchema.parse({ autoRestore: { enabled: true, healthyMinutes: 1, windowMinutes: 60 }, thresholds: { queueWaitSeconds: 0.2 } });
    const s = sources(guard);
    await writeRoutingChange(s.github, "acme/app", { value: "false", reason: "boot failures", triggers: [], at: Date.now() - 120_000, by: "guard on h1", source: "guard", autoRestore: "allowed" });
    setVariable(emulator, "acme/app", routingVariableName, "false", 120_000);
    const restoring = await assessFleet(s);
    expect(restoring.repositories[0]!.decision).toMatchObject({ state: "rolled-back", action: "restore" });
    await applyAssessment(s.github, restoring, { by: "guard on h1", now: () => Date.now() });
    expect(variable(emulator, "acme/app", routingVariableName)).toBe("true");
    expect(parseRoutingChange(variable(emulator, "acme/app", routingChangeVariableName))).toMatchObject({ value: "true", source: "guard" });

    // Within the window: a stuck trusted job rolls back again, this time for good.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps, event: pr(9) });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const flapping = await assessFleet(s);
    expect(flapping.repositories[0]!.decision).toMatchObject({ action: "rollback", autoRestore: "disabled" });
    await applyAssessment(s.github, flapping, { by: "guard on h1", now: () => Date.now() });
    const held = await assessFleet(s);
    expect(held.repositories[0]!.decision).toMatchObject({ state: "held", action: "none" });
    expect(held.repositories[0]!.decision.reason).toContain("auto-restore is disabled");
  });

  it("reads completed runs' jobs once, and fails with GitHub's error when it cannot read runs", async () => {
    routingOnSinceAMinute(emulator);
    const s = sources();
    emulator.enqueueJob({ repository: "acme/app", labels: ["ubuntu-latest"], steps, event: pr(1) });
    await runOnHostedRunner(emulator);
    await assessFleet(s);
    const before = s.runs.apiCalls();
    await assessFleet(s);
    // One list call; the completed run's jobs and its pull request come from the cache.
    expect(s.runs.apiCalls() - before).toBe(1);

    emulator.setFaults({ serverError: { status: 502, route: "/actions/runs" } });
    await expect(assessFleet(s)).rejects.toMatchObject({ name: "GitHubError", status: 502 });
  });
});
