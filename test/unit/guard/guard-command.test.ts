/** `fleet guard` as the built bundle against the emulator: dry run, --apply, memory across runs, faults, usage. */
import { chmod, rm } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../../runtime/emulator/server.ts";
import { startEmulatorChecked } from "../../support/checked-emulator.ts";
import { parseRoutingChange, routingChangeVariableName } from "../../../runtime/guard/routing-change.ts";
import { routingVariableName } from "../../../runtime/routing/decide.ts";
import { closedPortUrl } from "../ops/closed-port.ts";
import { fleet } from "../ops/run-fleet.ts";
import { fleetLabels } from "./fixtures.ts";
import { configFile, emulatorConfig, routingOnSinceAMinute, staticToken, tempDir, variable } from "./emulator-support.ts";

let emulator: Emulator;
let dir: string;
const fork = { name: "pull_request", sender: { login: "mallory", type: "User" as const }, pullRequest: { number: 4, headRepository: "mallory/app", authorAssociation: "NONE" as const } };

beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));
beforeEach(async () => {
  emulator = await startEmulatorChecked({ staticTokens: [staticToken] });
  routingOnSinceAMinute(emulator);
});
afterEach(() => emulator.close());

describe("fleet guard", () => {
  it("exits 0 with no trigger, 3 with one; writes nothing without --apply and rolls back with it", async () => {
    const config = await configFile(emulatorConfig(emulator, dir), dir);
    const quiet = await fleet(["guard", "--config", config, "--json"]);
    expect(quiet.stderr).toBe("");
    expect(quiet.code).toBe(0);
    expect(JSON.parse(quiet.stdout).repositories[0]).toMatchObject({ repository: "acme/app", variable: "true", state: "enabled", triggers: [], action: "none" });

    emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps: [{ name: "t", run: "true" }], event: fork });
    const dry = await fleet(["guard", "--config", config]);
    expect(dry.code).toBe(3);
    expect(dry.stdout).toContain("trigger route-mismatch: 1 route mismatch(es): acme/app run");
    expect(dry.stdout).toContain("would rollback (dry run; --apply to act)");
    expect(variable(emulator, "acme/app", routingVariableName)).toBe("true");

    const applied = await fleet(["guard", "--config", config, "--apply", "--json"]);
    expect(applied.code).toBe(3);
    expect(JSON.parse(applied.stdout).repositories[0]).toMatchObject({ action: "rollback", change: { written: true, error: null } });
    expect(variable(emulator, "acme/app", routingVariableName)).toBe("false");
    expect(parseRoutingChange(variable(emulator, "acme/app", routingChangeVariableName))).toMatchObject({ value: "false", source: "guard", by: expect.stringMatching(/^fleet guard on /) });
  });

  it("remembers an unreachable controller across runs (state directory) and trips after the offline limit", async () => {
    const dead = await closedPortUrl();
    const config = await configFile(emulatorConfig(emulator, dir, { guard: { controllers: [dead], thresholds: { offlineMinutes: 0.002 } } }), dir, "offline.json");
    const first = await fleet(["guard", "--config", config, "--json"]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).controllers).toEqual([{ url: dead, host: null, reachable: false, error: "ECONNREFUSED" }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await fleet(["guard", "--config", config, "--json"]);
    expect(second.code).toBe(3);
    expect(JSON.parse(second.stdout).repositories[0].triggers).toEqual([{ kind: "controller-offline", message: expect.stringContaining(`controller ${dead} offline`) }]);
  });

  it("exits 4 when GitHub fails or rate-limits, 2 on a bad config", async () => {
    const config = await configFile(emulatorConfig(emulator, dir), dir, "faults.json");
    emulator.setFaults({ serverError: { status: 503 } });
    const down = await fleet(["guard", "--config", config]);
    expect([down.code, down.stderr]).toEqual([4, expect.stringContaining(`fleet guard: GitHub at ${emulator.url}`)]);
    emulator.setFaults({ tooManyRequests: { retryAfterSeconds: 120 } });
    expect((await fleet(["guard", "--config", config])).code).toBe(4);

    await chmod(config, 0o644);
    const open = await fleet(["guard", "--config", config]);
    expect([open.code, open.stderr]).toEqual([2, expect.stringContaining("lets other users read secrets")]);
    expect((await fleet(["guard", "--config", `${dir}/missing.json`])).code).toBe(2);
    expect((await fleet(["guard", "--config", config, "--controller", "nope"])).code).toBe(2);
  });
});
