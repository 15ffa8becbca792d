import { describe, expect, it } from "vitest";
import { controllerOfflineTrigger, offlineSince } from "../../../runtime/guard/controller-offline.ts";
import { minute, status, t0 } from "./fixtures.ts";

const options = { now: t0, limitMinutes: 10 };

describe("controller offline trigger", () => {
  it("trips for a controller unreachable for more than 10 minutes since it was last seen, not at exactly 10", () => {
    expect(controllerOfflineTrigger([{ url: "http://h2:8080", error: "ECONNREFUSED", lastSeenAt: t0 - 10 * minute }], options)).toBeUndefined();
    const trigger = controllerOfflineTrigger([{ url: "http://h2:8080", error: "ECONNREFUSED", lastSeenAt: t0 - 10 * minute - 1 }], options);
    expect(trigger?.kind).toBe("controller-offline");
    expect(trigger?.message).toContain("controller http://h2:8080 offline for 10 min: unreachable (ECONNREFUSED) since");
  });

  it("counts from the first failed attempt when the controller was never seen", () => {
    expect(controllerOfflineTrigger([{ url: "http://h2:8080", error: "timed out", firstFailedAt: t0 - 11 * minute }], options)).toBeDefined();
    expect(offlineSince({ url: "http://h2:8080", error: "timed out" }, t0, 10 * minute)).toBe(t0);
  });

  it("treats an answering controller whose reconcile loop stopped as offline", () => {
    const stalled = status({ host: "h3", now: t0, lastPassAt: t0 - 11 * minute });
    expect(controllerOfflineTrigger([{ url: "http://h3:8080", status: stalled }], options)?.message).toContain("controller h3 offline for 11 min: its reconcile loop has not passed");
    const fine = status({ host: "h3", now: t0, lastPassAt: t0 - minute });
    expect(controllerOfflineTrigger([{ url: "http://h3:8080", status: fine }], options)).toBeUndefined();
  });

  it("names every offline controller", () => {
    const trigger = controllerOfflineTrigger(
      [
        { url: "http://h2:8080", error: "ECONNREFUSED", lastSeenAt: t0 - 20 * minute },
        { url: "http://h4:8080", host: "h4", error: "timed out", lastSeenAt: t0 - 30 * minute },
      ],
      options,
    );
    expect(trigger?.message.split("; ").map((m) => m.split(" offline")[0])).toEqual(["controller http://h2:8080", "controller h4"]);
  });

  it.each([
    ["silent 11 min in the coordinator's hosts table", { online: false, seenAt: t0 - 11 * minute }, "controller h7 offline for 11 min: no heartbeat to the fleet's coordinator since"],
    ["silent, but not yet for the limit", { online: false, seenAt: t0 - 9 * minute }, undefined],
    ["heartbeating", { online: true, seenAt: t0 - 2_000 }, undefined],
  ])("reads a coordinated fleet's hosts from a watched controller's status: %s", (_what, row, message) => {
    const own = status({ host: "h1", now: t0, lastPassAt: t0 - 1_000 });
    const host = { host: "h7", version: "schema-1", capacity: { vcpus: 4, memoryMiB: 4096 }, free: { vcpus: 4, memoryMiB: 4096 }, pools: [], draining: false, ...row };
    own.fleet = { hosts: [host], claimsWaiting: 0 };
    const trigger = controllerOfflineTrigger([{ url: "http://h1:8080", status: own }], options);
    if (message === undefined) expect(trigger).toBeUndefined();
    else expect(trigger?.message).toContain(message);
  });

  it("leaves a fleet host it watches itself to its own evidence", () => {
    const own = status({ host: "h1", now: t0, lastPassAt: t0 - 1_000 });
    own.fleet = { hosts: [{ host: "h2", version: "s", capacity: { vcpus: 1, memoryMiB: 256 }, free: { vcpus: 1, memoryMiB: 256 }, pools: [], draining: false, online: false, seenAt: t0 - 20 * minute }], claimsWaiting: 0 };
    const fine = status({ host: "h2", now: t0, lastPassAt: t0 - 1_000 });
    expect(controllerOfflineTrigger([{ url: "http://h1:8080", status: own }, { url: "http://h2:8080", status: fine }], options)).toBeUndefined();
  });
});
