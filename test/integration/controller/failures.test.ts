/**
 * Guests that go wrong, on real VMs: one that never boots and one whose job hangs. Each is torn
 * down, counted by reason, and leaves nothing behind.
 */
import { afterEach, expect, it } from "vitest";
import { waitFor } from "../../../runtime/lab/controller-process.ts";
import { describeWithLibvirt, ensureLabImage } from "../../support/lab-image.ts";
import { metricValue, startLibvirtFleet, type LibvirtFleet } from "../../support/libvirt-fleet.ts";

let fleet: LibvirtFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

await describeWithLibvirt("failing guests", () => {
  it("tears down a VM that never boots (boot timeout), counts it and backs off", async () => {
    const image = await ensureLabImage();
    // No init to run: the kernel panics and, with panic=0, hangs there forever.
    const cmdline = image.cmdline.replace(/panic=-?\d+/, "") + " rdinit=/nonexistent init=/nonexistent panic=0";
    fleet = await startLibvirtFleet({ pool: { min: 1, max: 1 }, cmdline, timing: { bootTimeoutSeconds: 20 } });
    await fleet.start();

    await waitFor("a boot timeout", 120_000, async () => metricValue(await fleet!.metrics(), "runner_fleet_vm_failures_total", { reason: "boot_timeout" }) >= 1);
    // /status is the last pass's document: wait for the pass that saw the teardown.
    await waitFor("the boot timeout in the status", 30_000, async () => (await fleet!.status())?.recentJobs.some((entry) => entry.reason === "boot_timeout") ?? false);
    const status = (await fleet.status())!;
    const failed = status.recentJobs.find((entry) => entry.reason === "boot_timeout")!;
    expect(failed.outcome).toBe("lost");
    expect(failed.times.online).toBeUndefined();
    // Its registration was removed too: GitHub does not list a runner that never ran a job.
    const runners = (fleet.emulator.snapshot().runners as { name: string }[]).map((r) => r.name);
    expect(runners).not.toContain(failed.name);
    expect(status.pools[0]!.consecutiveFailures).toBeGreaterThanOrEqual(1);

    expect(await fleet.stop()).toBe(0);
    expect(await fleet.leaks()).toEqual({ domains: [], overlays: [], runners: [], secrets: [] });
  });

  it("tears down a VM whose job hangs past the job timeout", async () => {
    // GitHub needs minutes to call a silent runner lost; the emulator is told to take 40 s.
    fleet = await startLibvirtFleet({ pool: { min: 1, max: 1 }, timing: { jobTimeoutMinutes: 0.5 }, emulator: { runnerLostAfterSeconds: 40 } });
    await fleet.start();
    await fleet.waitForIdle(1);
    const [job] = fleet.enqueue(1, [{ name: "hang", run: "echo hanging; sleep 3600" }]);

    await waitFor("a job timeout", 180_000, async () => metricValue(await fleet!.metrics(), "runner_fleet_vm_failures_total", { reason: "job_timeout" }) >= 1);
    await waitFor("the job timeout in the status", 30_000, async () => (await fleet!.status())?.recentJobs.some((entry) => entry.reason === "job_timeout") ?? false);
    const status = (await fleet.status())!;
    const failed = status.recentJobs.find((entry) => entry.reason === "job_timeout")!;
    expect(failed.job?.id).toBe(job!.jobId);
    expect(failed.phasesMs.run).toBeGreaterThanOrEqual(30_000);
    // GitHub then notices the runner is gone, fails the job and drops the registration.
    await fleet.waitForJobs([job!], 120_000);
    expect(fleet.emulator.job(job!.jobId)?.conclusion).toBe("failure");
    const registered = () => (fleet!.emulator.snapshot().runners as { name: string }[]).some((r) => r.name === failed.name);
    await waitFor("the lost runner's registration to go", 60_000, async () => !registered());

    expect(await fleet.stop()).toBe(0);
    expect(await fleet.leaks()).toEqual({ domains: [], overlays: [], runners: [], secrets: [] });
  });
});
