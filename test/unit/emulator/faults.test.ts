import { describe, expect, it } from "vitest";
import { FaultInjector, parseFaultSettings } from "../../../runtime/emulator/faults.ts";

describe("FaultInjector", () => {
  it("fires a rule at most `times` times", () => {
    const faults = new FaultInjector();
    faults.set({ serverError: { times: 2, status: 503 } });
    const fired = [1, 2, 3].map(() => faults.forRequest("GET", "/orgs/acme/actions/runners"));
    expect(fired).toEqual([[{ kind: "serverError", status: 503 }], [{ kind: "serverError", status: 503 }], []]);
  });
  it("fires with probability `rate`, decided by the random source", () => {
    const draws = [0.1, 0.6, 0.49];
    const faults = new FaultInjector(() => draws.shift()!);
    faults.set({ tooManyRequests: { rate: 0.5, retryAfterSeconds: 3 } });
    expect(faults.forRequest("GET", "/x")).toEqual([{ kind: "tooManyRequests", retryAfterSeconds: 3 }]);
    expect(faults.forRequest("GET", "/x")).toEqual([]);
    expect(faults.forRequest("GET", "/x")).toHaveLength(1);
  });
  it("limits a rule to requests whose `METHOD path` contains `route`", () => {
    const faults = new FaultInjector();
    faults.set({ secondaryRateLimit: { route: "POST /orgs/acme/actions/runners/generate-jitconfig" } });
    expect(faults.forRequest("GET", "/orgs/acme/actions/runners")).toEqual([]);
    expect(faults.forRequest("POST", "/orgs/acme/actions/runners/generate-jitconfig")).toEqual([{ kind: "secondaryRateLimit", retryAfterSeconds: 1 }]);
  });
  it("adds latency before an error and decides webhook fates per action", () => {
    const faults = new FaultInjector();
    faults.set({ latency: { ms: 5 }, serverError: {}, dropWebhook: { action: "queued" }, duplicateWebhook: { times: 1 } });
    expect(faults.forRequest("GET", "/x").map((f) => f.kind)).toEqual(["latency", "serverError"]);
    expect(faults.forDelivery("queued")).toBe("drop");
    expect(faults.forDelivery("completed")).toBe("duplicate");
    expect(faults.forDelivery("completed")).toBe("send");
  });
  it("starts counting again when the settings are replaced", () => {
    const faults = new FaultInjector();
    faults.set({ runnerNeverConnects: { times: 1 } });
    expect([faults.forNewRunner(), faults.forNewRunner()]).toEqual([true, false]);
    faults.set({ runnerNeverConnects: { times: 1 } });
    expect(faults.forNewRunner()).toBe(true);
  });
});

describe("parseFaultSettings", () => {
  it("names the offending field", () => {
    expect(parseFaultSettings({ serverError: { rate: 2 } })).toEqual({ error: expect.stringContaining("serverError.rate") });
    expect(parseFaultSettings({ latency: {} })).toEqual({ error: expect.stringContaining("latency.ms") });
    expect(parseFaultSettings({ explode: {} })).toEqual({ error: expect.stringContaining("explode") });
  });
});
