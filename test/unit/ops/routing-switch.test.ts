/**
 * `fleet rollback` / `fleet restore` against the emulator: the logic in-process (a client without
 * GitHub's one-second write spacing), and each exit code once through the built bundle.
 */
import { rm } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ControllerConfig } from "../../../runtime/config/controller-config.ts";
import type { Emulator } from "../../../runtime/emulator/server.ts";
import { startEmulatorChecked } from "../../support/checked-emulator.ts";
import { assessFleet } from "../../../runtime/guard/collect.ts";
import { RunReader } from "../../../runtime/guard/github-runs.ts";
import { defaultGuardConfig } from "../../../runtime/guard/guard-config.ts";
import { inMemoryGuardMemory } from "../../../runtime/guard/guard-memory.ts";
import { parseRoutingChange, routingChangeVariableName } from "../../../runtime/guard/routing-change.ts";
import { opsGitHub } from "../../../runtime/ops/github-client.ts";
import { operatorName, restoreCheck, switchRouting } from "../../../runtime/ops/routing-switch.ts";
import { systemClock } from "../../../runtime/ports/clock.ts";
import { routingVariableName } from "../../../runtime/routing/decide.ts";
import { configFile, emulatorConfig, routingOnSinceAMinute, staticToken, tempDir, variable } from "../guard/emulator-support.ts";
import { fleetLabels } from "../guard/fixtures.ts";
import { fleet } from "./run-fleet.ts";

let emulator: Emulator;
let dir: string;
let config: ControllerConfig;
const repos = ["acme/app", "acme/lib"];
const routing = (repo = "acme/app") => variable(emulator, repo, routingVariableName);
const record = (repo = "acme/app") => parseRoutingChange(variable(emulator, repo, routingChangeVariableName));
const fork = { name: "pull_request", sender: { login: "mallory", type: "User" as const }, pullRequest: { number: 3, headRepository: "mallory/app" } };

function switchTo(to: "true" | "false", o: { reason?: string; dryRun?: boolean; repositories?: string[] } = {}) {
  const github = opsGitHub(config, { writeSpacingMs: 0, retries: 0 });
  return switchRouting({ octokit: github.octokit, github, repositories: o.repositories ?? repos, to, reason: o.reason ?? "drill", by: operatorName(to === "false" ? "rollback" : "restore"), dryRun: o.dryRun ?? false, now: Date.now });
}

function guardSources(repositories = repos) {
  const github = opsGitHub(config, { writeSpacingMs: 0 });
  return { config, guard: config.guard ?? defaultGuardConfig, octokit: github.octokit, runs: new RunReader(github.octokit), clock: systemClock, memory: inMemoryGuardMemory(), controllerUrls: [], repositories };
}

beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));
beforeEach(async () => {
  emulator = await startEmulatorChecked({ staticTokens: [staticToken] });
  for (const repo of repos) routingOnSinceAMinute(emulator, repo);
  config = emulatorConfig(emulator, dir, { guard: { repositories: repos } });
});
afterEach(() => emulator.close());

describe("rollback and restore", () => {
  it("rollback sets false everywhere with who and why; the guard holds an operator's rollback", async () => {
    const results = await switchTo("false", { reason: "incident 42" });
    expect(results.map((r) => [r.repository, r.before, r.after, r.written])).toEqual([
      ["acme/app", "true", "false", true],
      ["acme/lib", "true", "false", true],
    ]);
    for (const repo of repos) {
      expect(routing(repo)).toBe("false");
      expect(record(repo)).toMatchObject({ value: "false", reason: "incident 42", source: "operator", autoRestore: "disabled", by: expect.stringMatching(/@.+ \(fleet rollback\)$/) });
    }
    const assessed = await assessFleet({ ...guardSources(), guard: { ...defaultGuardConfig, autoRestore: { enabled: true, healthyMinutes: 0.001, windowMinutes: 1 } } });
    expect(assessed.repositories[0]!.decision).toMatchObject({ state: "held", action: "none", reason: expect.stringContaining("rolled back by") });
  });

  it("still tries to roll back when the current value cannot be read, and says GitHub was unavailable", async () => {
    emulator.setFaults({ serverError: { status: 502 } });
    const [result] = await switchTo("false", { repositories: ["acme/app"] });
    expect(result).toMatchObject({ before: "(unknown)", written: false, unavailable: true, error: expect.stringContaining("Bad Gateway") });
    emulator.setFaults({});
    expect(routing()).toBe("true");
  });

  it("a dry run writes nothing; --repo limits the change", async () => {
    expect((await switchTo("false", { dryRun: true })).map((r) => r.written)).toEqual([false, false]);
    expect(routing()).toBe("true");
    await switchTo("false", { repositories: ["acme/lib"] });
    expect([routing("acme/app"), routing("acme/lib")]).toEqual(["true", "false"]);
  });

  it("restore's check finds triggers since the rollback, and none once they are gone", async () => {
    await switchTo("false");
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await restoreCheck(guardSources())).toEqual([]);
    const { jobId } = emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps: [{ name: "t", run: "true" }], event: fork });
    // Triggers are the fleet's: a mismatch in one repository holds every repository's restore.
    const mismatch = { kind: "route-mismatch", message: expect.stringContaining("acme/app run 9000001 (CI, pull_request): untrusted run on the fleet (fork)") };
    expect(await restoreCheck(guardSources())).toEqual([
      { repository: "acme/app", ...mismatch },
      { repository: "acme/lib", ...mismatch },
    ]);
    await fetch(`${emulator.url}/_emulator/jobs/${jobId}/cancel`, { method: "POST" });
    // Cancelled before it ran anywhere: nothing landed on the fleet.
    expect(await restoreCheck(guardSources())).toEqual([]);
    const results = await switchTo("true", { reason: "fixed" });
    expect(results.map((r) => [r.before, r.after])).toEqual([
      ["false", "true"],
      ["false", "true"],
    ]);
    expect(record()).toMatchObject({ value: "true", reason: "fixed", source: "operator", autoRestore: "allowed" });
  });
});

describe("fleet rollback / restore exit codes (built bundle)", () => {
  it("0 done, 2 without a reason or with a bad --repo, 5 restore refused", async () => {
    const file = await configFile(config, dir);
    const done = await fleet(["rollback", "--config", file, "--reason", "drill", "--repo", "acme/app"]);
    expect([done.code, done.stdout, done.stderr]).toEqual([0, 'acme/app: routing "true" -> "false"\n', ""]);
    expect(routing()).toBe("false");

    const noReason = await fleet(["restore", "--config", file]);
    expect([noReason.code, noReason.stderr]).toEqual([2, expect.stringContaining("--reason TEXT is required")]);
    expect((await fleet(["rollback", "--config", file, "--reason", "x", "--repo", "not-a-repo"])).code).toBe(2);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps: [{ name: "t", run: "true" }], event: fork });
    const refused = await fleet(["restore", "--config", file, "--reason", "fixed", "--repo", "acme/app"]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain("fleet restore: refused: the guard's triggers are active (--force to restore anyway):\n  acme/app: route-mismatch:");
    expect(routing()).toBe("false");
  });
});
