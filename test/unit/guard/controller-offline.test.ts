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
});
