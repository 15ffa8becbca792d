/**
 * The controller on real VMs: QEMU/TCG guests booting the lab image through libvirtd, the
 * controller as its own process from dist/fleet.cjs, the emulator as GitHub.
 */
import { afterEach, expect, it } from "vitest";
import { describeWithLibvirt } from "../../support/lab-image.ts";
import { waitFor } from "../../../runtime/lab/controller-process.ts";
import { leakCount } from "../../../runtime/lab/leak-check.ts";
import { startLibvirtFleet, type LibvirtFleet } from "../../support/libvirt-fleet.ts";

let fleet: LibvirtFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

await describeWithLibvirt("controller on real VMs", () => {
  it("runs a burst of jobs one VM each, refills the warm pool after it, and leaves nothing behind", async () => {
    fleet = await startLibvirtFleet({ pool: { min: 1, max: 3 } });
    await fleet.start();
    await fleet.waitForIdle(1);

    const jobs = fleet.enqueue(4);
    await fleet.waitForJobs(jobs);
    const views = jobs.map((j) => fleet!.emulator.job(j.jobId)!);
    expect(views.map((v) => v.conclusion)).toEqual(["success", "success", "success", "success"]);
    // One runner per job, every one of them ours.
    const runners = views.map((v) => v.runnerName!);
    expect(new Set(runners).size).toBe(4);
    for (const name of runners) expect(name.startsWith(fleet.prefix)).toBe(true);
    // The steps really ran inside the guest, as the unprivileged runner user.
    expect(views[0]!.steps[0]!.log).toContain("hello from runner");

    // After the burst the pool settles back to its warm floor: one idle VM, nothing else.
    await waitFor("the pool to settle at its warm floor", 180_000, async () => {
      const status = await fleet!.status();
      return status !== undefined && status.vms.length === 1 && status.vms[0]!.phase === "idle";
    });
    const status = (await fleet.status())!;
    const done = status.recentJobs.filter((entry) => runners.includes(entry.name));
    expect(done.map((entry) => entry.outcome)).toEqual(["success", "success", "success", "success"]);
    for (const entry of done) {
      // Every phase of a VM's life was observed and timed.
      for (const phase of ["jit", "overlay", "define", "start", "boot", "run", "poweroff", "teardown"] as const) {
        expect(entry.phasesMs[phase] ?? -1, `${entry.name} ${phase} in ${JSON.stringify(entry.phasesMs)}`).toBeGreaterThanOrEqual(0);
      }
      expect(entry.queueWaitMs).toBeGreaterThanOrEqual(0);
    }

    expect(await fleet.stop()).toBe(0);
    expect(await fleet.leaks()).toEqual({ domains: [], overlays: [], runners: [], secrets: [] });
    expect(leakCount(await fleet.leaks())).toBe(0);
  });
});
