/** The guard loop inside a real controller (the harness): it rolls back by itself. */
import { afterEach, describe, expect, it } from "vitest";
import { powersOffAfter } from "../../../runtime/hypervisor/memory/guest-behaviours.ts";
import { parseRoutingChange, routingChangeVariableName } from "../../../runtime/guard/routing-change.ts";
import { routingVariableName } from "../../../runtime/routing/decide.ts";
import { startFleetHarness, until, type FleetHarness } from "../../support/fleet-harness.ts";
import { routingOnSinceAMinute, variable } from "./emulator-support.ts";

let harness: FleetHarness | undefined;
afterEach(async () => {
  await harness?.controller.shutdown();
  await harness?.close();
  harness = undefined;
});

describe("guard loop in the controller", () => {
  it("rolls back when the host's runners fail to boot twice in a row", async () => {
    harness = await startFleetHarness({ guest: powersOffAfter(0), config: { guard: { enabled: true, intervalSeconds: 0.2 } } });
    routingOnSinceAMinute(harness.emulator);
    const emulator = harness.emulator;
    await until("the guard rolled back and recorded why", () => variable(emulator, "acme/app", routingVariableName) === "false" && variable(emulator, "acme/app", routingChangeVariableName) !== undefined);
    const record = parseRoutingChange(variable(emulator, "acme/app", routingChangeVariableName));
    expect(record).toMatchObject({ value: "false", by: "guard on h1", source: "guard", triggers: [{ kind: "boot-failures" }] });
    expect((record as { reason: string }).reason).toMatch(/^host h1: the last \d runner boots failed \(rf-h1-small-[0-9a-f]{8} boot_failed, rf-h1-small-[0-9a-f]{8} boot_failed/);
  });
});
