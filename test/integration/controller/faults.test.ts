/**
 * Every fault the emulator can inject, against the controller on real VMs: GitHub errors, rate
 * limits, latency, lost and duplicated webhooks, and a runner that never connects. Each round
 * runs jobs with one fault switched on: every job is still served, failures are counted, and at
 * the end nothing is left behind.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { FaultSettings } from "../../../runtime/emulator/faults.ts";
import { describeWithLibvirt } from "../../support/lab-image.ts";
import { waitFor } from "../../../runtime/lab/controller-process.ts";
import { metricValue, startLibvirtFleet, type LibvirtFleet } from "../../support/libvirt-fleet.ts";

let fleet: LibvirtFleet;

async function roundWith(faults: FaultSettings, jobs = 2): Promise<void> {
  fleet.emulator.setFaults(faults);
  const queued = fleet.enqueue(jobs);
  await fleet.waitForJobs(queued, 300_000);
  fleet.emulator.setFaults({});
  for (const job of queued) expect(fleet.emulator.job(job.jobId)?.conclusion, JSON.stringify(faults)).toBe("success");
}

await describeWithLibvirt("emulator faults against the controller", () => {
  beforeAll(async () => {
    fleet = await startLibvirtFleet({ pool: { min: 1, max: 2 }, timing: { bootTimeoutSeconds: 45 } });
    await fleet.start();
    await fleet.waitForIdle(1);
  });
  afterAll(async () => {
    await fleet?.close();
  });

  it("serves jobs through GitHub 5xx errors", async () => {
    await roundWith({ serverError: { rate: 0.3, status: 502 } });
  });

  it("serves jobs through secondary rate limits (403 + retry-after)", async () => {
    await roundWith({ secondaryRateLimit: { times: 3, retryAfterSeconds: 1 } });
  });

  it("serves jobs through 429s with an exhausted primary limit", async () => {
    await roundWith({ tooManyRequests: { times: 3, retryAfterSeconds: 1 } });
    expect(metricValue(await fleet.metrics(), "runner_fleet_github_api_calls_total", { status: "429" })).toBeGreaterThan(0);
  });

  it("serves jobs with added API latency", async () => {
    await roundWith({ latency: { ms: 400 } });
  });

  it("serves jobs when every webhook is dropped (polling is the safety net)", async () => {
    // Nothing idle: only a poll can reveal the demand.
    fleet.emulator.setFaults({ dropWebhook: { rate: 1 } });
    await waitFor("the warm VM", 120_000, async () => ((await fleet.status())?.vms.some((vm) => vm.phase === "idle") ?? false));
    await roundWith({ dropWebhook: { rate: 1 } }, 3);
    expect(fleet.emulator.deliveries().filter((d) => d.outcome === "dropped").length).toBeGreaterThan(0);
  });

  it("applies duplicated webhooks once", async () => {
    const before = metricValue(await fleet.metrics(), "runner_fleet_webhook_deliveries_total", { result: "duplicate" });
    await roundWith({ duplicateWebhook: { rate: 1 } });
    expect(metricValue(await fleet.metrics(), "runner_fleet_webhook_deliveries_total", { result: "duplicate" })).toBeGreaterThan(before);
  });

  it("replaces a runner that never connects (a counted boot failure) and still serves the job", async () => {
    // The warm VM already registered; the next runner created never connects. Its guest either
    // gives up and powers off (boot_failed) or is still trying at the boot timeout.
    const bootFailures = async () => {
      const metrics = await fleet.metrics();
      return metricValue(metrics, "runner_fleet_vm_failures_total", { reason: "boot_timeout" }) + metricValue(metrics, "runner_fleet_vm_failures_total", { reason: "boot_failed" });
    };
    const before = await bootFailures();
    fleet.emulator.setFaults({ runnerNeverConnects: { times: 1 } });
    const jobs = fleet.enqueue(2);
    await waitFor("a boot failure", 180_000, async () => (await bootFailures()) > before);
    fleet.emulator.setFaults({});
    await fleet.waitForJobs(jobs, 300_000);
    for (const job of jobs) expect(fleet.emulator.job(job.jobId)?.conclusion).toBe("success");
  });

  it("leaves nothing behind after all of that", async () => {
    expect(await fleet.stop()).toBe(0);
    expect(await fleet.leaks()).toEqual({ domains: [], overlays: [], runners: [], secrets: [] });
  });
});
