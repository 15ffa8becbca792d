/**
 * Crash safety on real VMs: the controller keeps no state that lives only in its memory, so a
 * SIGKILL at any moment followed by a restart leaks nothing and strands no job. First a kill at
 * every named step of provisioning and teardown (RF_TEST_CRASH_AT), then kills at seeded random
 * moments during a burst. The same scenarios run at unit speed against in-memory VMs in
 * test/unit/controller/crash-safety.test.ts.
 */
import { afterEach, expect, it } from "vitest";
import { describeWithLibvirt } from "../../support/lab-image.ts";
import { crashAtEveryPoint, crashSeed, killsDuringBurst, pointReport } from "../../support/crash-scenarios.ts";
import { startLibvirtFleet, type LibvirtFleet } from "../../support/libvirt-fleet.ts";

/** Each kill costs a controller start (about 1 s) and its random delay; VMs boot on meanwhile. */
const randomKills = Number(process.env.RF_CRASH_KILLS || 50);
if (!Number.isInteger(randomKills) || randomKills < 1) throw new Error(`RF_CRASH_KILLS must be a whole number ≥ 1, got "${process.env.RF_CRASH_KILLS}"`);

const burstJobs = 16;

let fleet: LibvirtFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

await describeWithLibvirt("crash safety", () => {
  it("a SIGKILL at each step of provisioning and teardown: the job is served after a restart, nothing leaks", async () => {
    fleet = await startLibvirtFleet({ pool: { min: 0, max: 2 } });
    const started = Date.now();
    const outcomes = await crashAtEveryPoint(fleet, { stepTimeoutMs: 180_000 });
    console.log(`crash points on real VMs: ${outcomes.length} kills in ${((Date.now() - started) / 1000).toFixed(0)} s\n${pointReport(outcomes)}`);
  });

  it(`${randomKills} SIGKILLs at seeded random moments during a burst: every job served, nothing leaks`, async () => {
    const seed = crashSeed();
    console.log(`random kills on real VMs: seed ${seed} (repeat with RF_CRASH_SEED=${seed})`);
    fleet = await startLibvirtFleet({ pool: { min: 0, max: 3 } });
    const started = Date.now();
    const outcome = await killsDuringBurst(fleet, { seed, kills: randomKills, jobs: burstJobs, maxDelayMs: 3_000 }, { stepTimeoutMs: 180_000 });
    const { delaysMs, midLife, ...counts } = outcome;
    console.log(`random kills on real VMs: ${JSON.stringify(counts)}, ${midLife} of them mid-way through a VM's life, in ${((Date.now() - started) / 1000).toFixed(0)} s; delays ${delaysMs.join(" ")} ms`);
    expect(counts).toEqual({ seed, kills: randomKills, jobs: burstJobs, served: burstJobs, leaks: 0 });
  });
});
