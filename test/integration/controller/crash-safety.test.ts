/**
 * Crash safety on real VMs: the controller keeps no state that lives only in its memory, so a
 * SIGKILL at any moment followed by a restart leaks nothing and strands no job.
 */
import { afterEach, expect, it } from "vitest";
import { describeWithLibvirt } from "../../support/lab-image.ts";
import { waitFor } from "../../../runtime/lab/controller-process.ts";
import { metricValue, startLibvirtFleet, type LibvirtFleet } from "../../support/libvirt-fleet.ts";

let fleet: LibvirtFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

await describeWithLibvirt("crash safety", () => {
  it("survives SIGKILL while provisioning and while jobs run: every job is served, nothing leaks", async () => {
    fleet = await startLibvirtFleet({ pool: { min: 1, max: 3 } });
    await fleet.start();
    await fleet.waitForIdle(1);

    const jobs = fleet.enqueue(3, [{ name: "work", run: "echo working; sleep 4" }]);
    // Kill #1: the burst has just made the controller start new VMs.
    await waitFor("provisioning to begin", 60_000, async () => ((await fleet!.status())?.vms.length ?? 0) > 1);
    await fleet.kill();
    expect((await fleet.hypervisor.listDomains(fleet.prefix)).length).toBeGreaterThan(0);

    // Kill #2: after a restart, while jobs are running inside VMs.
    await fleet.start();
    await waitFor("a VM running a job", 180_000, async () => (await fleet!.status())?.vms.some((vm) => vm.phase === "busy") ?? false);
    await fleet.kill();

    // The third controller finds everything the others left, serves every job, and cleans up.
    await fleet.start();
    await fleet.waitForJobs(jobs);
    for (const job of jobs) expect(fleet.emulator.job(job.jobId)?.conclusion).toBe("success");
    await waitFor("the pool to settle", 180_000, async () => {
      const status = await fleet!.status();
      return status !== undefined && status.vms.length === 1 && status.vms[0]!.phase === "idle";
    });
    const metrics = await fleet.metrics();
    expect(metricValue(metrics, "runner_fleet_controller_up")).toBe(1);

    expect(await fleet.stop()).toBe(0);
    expect(await fleet.leaks()).toEqual({ domains: [], overlays: [], runners: [], secrets: [] });
  });
});
