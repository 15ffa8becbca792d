/**
 * Crash safety at unit speed, beside the real-VM test (test/integration/controller/crash-safety.test.ts):
 * the same scenarios, with in-memory VMs running the real guest agent against the real emulator,
 * and controllers that die by freezing (test/support/memory-crash-fleet.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { crashPointNames, parseCrashPlan } from "../../../runtime/controller/crash-points.ts";
import { crashAtEveryPoint, crashSeed, killsDuringBurst, pointReport } from "../../support/crash-scenarios.ts";
import { startMemoryCrashFleet, type MemoryCrashFleet } from "../../support/memory-crash-fleet.ts";

/** In-memory VMs start at once: jobs that last a few seconds keep the burst going through the kills. */
const longJob = [{ name: "work", run: "sleep 3" }];

let fleet: MemoryCrashFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

describe("crash points", () => {
  it.each([
    ["provision:jit", { point: "provision:jit", nth: 1 }],
    ["teardown:history:3", { point: "teardown:history", nth: 3 }],
    ["", undefined],
    [undefined, undefined],
  ])("RF_TEST_CRASH_AT=%j arms %j", (value, plan) => {
    expect(parseCrashPlan(value)).toEqual(plan);
  });

  it.each(["provision", "provision:nope", "teardown:history:0", "teardown:history:x", "provision:jit:1:2"])("refuses %j, naming the valid points", (value) => {
    expect(() => parseCrashPlan(value)).toThrow(/RF_TEST_CRASH_AT: .*provision:recorded, provision:jit/s);
  });
});

describe("crash safety (in-memory VMs)", () => {
  it("a crash at each step of provisioning and teardown: the job is served after a restart, nothing leaks", async () => {
    fleet = await startMemoryCrashFleet({ min: 0, max: 2 });
    const started = Date.now();
    const outcomes = await crashAtEveryPoint(fleet, { stepTimeoutMs: 30_000 });
    console.log(`crash points in memory: ${outcomes.length} kills in ${((Date.now() - started) / 1000).toFixed(1)} s\n${pointReport(outcomes)}`);
    expect(outcomes.map((o) => o.point)).toEqual(crashPointNames);
  }, 300_000);

  it("50 crashes at seeded random moments during a burst: every job served, nothing leaks", async () => {
    const seed = crashSeed();
    console.log(`random kills in memory: seed ${seed} (repeat with RF_CRASH_SEED=${seed})`);
    fleet = await startMemoryCrashFleet({ min: 0, max: 3 });
    const started = Date.now();
    const { delaysMs: _delays, midLife, ...counts } = await killsDuringBurst(fleet, { seed, kills: 50, jobs: 10, maxDelayMs: 400, steps: longJob }, { stepTimeoutMs: 30_000 });
    console.log(`random kills in memory: ${JSON.stringify(counts)}, ${midLife} of them mid-way through a VM's life, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(counts).toEqual({ seed, kills: 50, jobs: 10, served: 10, leaks: 0 });
  }, 300_000);
});
