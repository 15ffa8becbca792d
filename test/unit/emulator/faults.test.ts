import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FaultInjector, parseFaultSettings } from "../../../runtime/emulator/faults.ts";
import { seededRandom } from "../../../runtime/ports/random.ts";

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
  it.each([
    ["the run look-up", "GET", "/repos/acme/app/actions/runs/42", true],
    ["a run's jobs", "GET", "/repos/acme/app/actions/runs/42/jobs", false],
    ["the run list", "GET", "/repos/acme/app/actions/runs", false],
    ["another method", "DELETE", "/repos/acme/app/actions/runs/42", false],
  ])("aims an `operation` rule at one template only: %s", (_, method, path, fires) => {
    const faults = new FaultInjector();
    faults.set({ serverError: { operation: "GET /repos/{owner}/{repo}/actions/runs/{run_id}" } });
    expect(faults.forRequest(method, path)).toHaveLength(fires ? 1 : 0);
  });
  it("counts each firing by fault and target", () => {
    const faults = new FaultInjector();
    faults.set({ serverError: { route: "generate-jitconfig", times: 3 }, dropWebhook: { times: 1 } });
    faults.forRequest("POST", "/orgs/acme/actions/runners/generate-jitconfig");
    faults.forRequest("GET", "/orgs/acme/actions/runners");
    faults.forRequest("POST", "/orgs/acme/actions/runners/generate-jitconfig");
    faults.forDelivery("queued");
    expect(faults.firings()).toEqual([
      { fault: "serverError", target: "POST /orgs/acme/actions/runners/generate-jitconfig", count: 2 },
      { fault: "dropWebhook", target: "workflow_job.queued", count: 1 },
    ]);
    faults.set({});
    expect(faults.firings()).toEqual([]);
  });
  it("reports the seed it drew, and the same seed fires the same faults", () => {
    const faults = new FaultInjector();
    faults.set({ serverError: { rate: 0.5 } });
    const { seed } = faults.current();
    const run = () => Array.from({ length: 40 }, () => faults.forRequest("GET", "/x").length);
    const first = run();
    faults.set({ seed, serverError: { rate: 0.5 } });
    expect(run()).toEqual(first);
    expect(first).toContain(0);
    expect(first).toContain(1);
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

describe("seededRandom", () => {
  it("draws in [0, 1), the same sequence for the same seed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const a = seededRandom(seed);
        const b = seededRandom(seed);
        for (let i = 0; i < 20; i++) {
          const x = a();
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThan(1);
          expect(b()).toBe(x);
        }
      }),
    );
  });
  it("is roughly uniform", () => {
    const draw = seededRandom(7);
    const below = Array.from({ length: 10_000 }, draw).filter((x) => x < 0.3).length;
    expect(below).toBeGreaterThan(2800);
    expect(below).toBeLessThan(3200);
  });
});

describe("parseFaultSettings", () => {
  it("names the offending field", () => {
    expect(parseFaultSettings({ serverError: { rate: 2 } })).toEqual({ error: expect.stringContaining("serverError.rate") });
    expect(parseFaultSettings({ latency: {} })).toEqual({ error: expect.stringContaining("latency.ms") });
    expect(parseFaultSettings({ explode: {} })).toEqual({ error: expect.stringContaining("explode") });
    expect(parseFaultSettings({ serverError: { operation: "/repos/{owner}" } })).toEqual({ error: expect.stringContaining("serverError.operation") });
    expect(parseFaultSettings({ seed: -1 })).toEqual({ error: expect.stringContaining("seed") });
  });
});
