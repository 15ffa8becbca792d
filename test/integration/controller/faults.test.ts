/**
 * Every fault the emulator can inject, against the controller on real VMs: GitHub errors, rate
 * limits, latency, lost and duplicated webhooks, a runner that never connects, and 5xx aimed at
 * the two calls a job's service depends on (generate-jitconfig, the run look-up). Each round
 * runs jobs with one fault switched on: the fault fired, every job is still served, failures are
 * counted, and at the end nothing is left behind. Rates are seeded (printed; RF_FAULT_SEED
 * repeats the draws, though VM timing can still reorder requests).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { FaultSettings, FiredFault } from "../../../runtime/emulator/faults.ts";
import { describeWithLibvirt } from "../../support/lab-image.ts";
import { waitFor } from "../../../runtime/lab/controller-process.ts";
import { faultSeed } from "../../support/fault-seed.ts";
import { metricValue, startLibvirtFleet, type LibvirtFleet } from "../../support/libvirt-fleet.ts";

let fleet: LibvirtFleet;
const seed = faultSeed("faults (real VMs)");

/** Runs `jobs` jobs under `faults`; returns where the faults fired. */
async function roundWith(faults: FaultSettings, jobs = 2, steps?: { name: string; run: string }[]): Promise<{ fired: FiredFault[]; queued: { jobId: number; runId: number }[] }> {
  fleet.emulator.setFaults({ seed, ...faults });
  const queued = fleet.enqueue(jobs, steps);
  await fleet.waitForJobs(queued, 300_000);
  const fired = fleet.emulator.faultsFired();
  fleet.emulator.setFaults({});
  for (const job of queued) expect(fleet.emulator.job(job.jobId)?.conclusion, JSON.stringify(faults)).toBe("success");
  return { fired, queued };
}

const firings = (fired: FiredFault[], fault: FiredFault["fault"]) => fired.filter((f) => f.fault === fault).reduce((sum, f) => sum + f.count, 0);

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
    const { fired } = await roundWith({ serverError: { rate: 0.3, status: 502 } });
    expect(firings(fired, "serverError")).toBeGreaterThan(0);
  });

  it("serves jobs through secondary rate limits (403 + retry-after)", async () => {
    const { fired } = await roundWith({ secondaryRateLimit: { times: 3, retryAfterSeconds: 1 } });
    expect(firings(fired, "secondaryRateLimit")).toBe(3);
  });

  it("serves jobs through 429s with an exhausted primary limit", async () => {
    const { fired } = await roundWith({ tooManyRequests: { times: 3, retryAfterSeconds: 1 } });
    expect(firings(fired, "tooManyRequests")).toBe(3);
    expect(metricValue(await fleet.metrics(), "runner_fleet_github_api_calls_total", { status: "429" })).toBeGreaterThan(0);
  });

  it("serves jobs with added API latency", async () => {
    const { fired } = await roundWith({ latency: { ms: 400 } });
    expect(firings(fired, "latency")).toBeGreaterThan(0);
  });

  it("serves jobs when generate-jitconfig fails: the failed provisioning is counted and retried", async () => {
    const before = metricValue(await fleet.metrics(), "runner_fleet_vm_failures_total", { reason: "jit_error" });
    // Octokit tries each call three times and at most two VMs are made at once: five 502s make at
    // least one call fail all three times, which the controller sees.
    const { fired } = await roundWith({ serverError: { operation: "POST /orgs/{org}/actions/runners/generate-jitconfig", times: 5 } });
    expect(fired).toEqual([{ fault: "serverError", target: "POST /orgs/acme/actions/runners/generate-jitconfig", count: 5 }]);
    expect(metricValue(await fleet.metrics(), "runner_fleet_vm_failures_total", { reason: "jit_error" })).toBeGreaterThan(before);
  });

  it("serves jobs when the run look-up fails", async () => {
    // Up to three 502s: with Octokit's two retries they fail a look-up outright if it starts early
    // enough in the job (the in-process test shows the retry that follows, deterministically).
    const { fired, queued } = await roundWith({ serverError: { operation: "GET /repos/{owner}/{repo}/actions/runs/{run_id}", times: 3 } }, 1, [
      { name: "work", run: "sleep 8" },
    ]);
    expect(fired.map((f) => f.target)).toEqual([`GET /repos/acme/app/actions/runs/${queued[0]!.runId}`]);
    expect(firings(fired, "serverError")).toBeGreaterThan(0);
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
