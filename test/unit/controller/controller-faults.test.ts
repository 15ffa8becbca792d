/**
 * Faults aimed at the two GitHub calls a job's service depends on, against the whole controller
 * in one process (the same rounds on real VMs: test/integration/controller/faults.test.ts). Each
 * round asserts that the fault fired where it was aimed, that the controller saw it, and that
 * every job was still served. The rounds fire every time (`times`, no `rate`): no draws to seed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { fetchMetrics } from "../../../runtime/lab/controller-process.ts";
import { fleetLabels, startFleetHarness, trustedPullRequest, until, type FleetHarness } from "../../support/fleet-harness.ts";
import { metricValue } from "../../support/libvirt-fleet.ts";

const jitConfig = "POST /orgs/{org}/actions/runners/generate-jitconfig";
const runLookup = "GET /repos/{owner}/{repo}/actions/runs/{run_id}";

let fleet: FleetHarness | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

async function warmFleet(): Promise<FleetHarness> {
  fleet = await startFleetHarness();
  const reconciler = fleet.controller.reconciler;
  await until("a warm idle runner", () => reconciler.lastResult()?.status.vms.some((vm) => vm.phase === "idle") ?? false);
  return fleet;
}

function enqueue(harness: FleetHarness, count: number, run: string) {
  return Array.from({ length: count }, (_, i) =>
    harness.emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, jobName: `faulted-${i + 1}`, steps: [{ name: "work", run }], event: trustedPullRequest(i + 1) }),
  );
}

const served = (harness: FleetHarness, jobs: { jobId: number }[]) => () => jobs.every((j) => harness.emulator.job(j.jobId)?.status === "completed");

describe("faults aimed where a job's service depends on GitHub (in-memory VMs)", () => {
  it("generate-jitconfig failing: the provisioning fails and is counted, the pool retries, every job is served", async () => {
    const harness = await warmFleet();
    // Each call is tried three times (Octokit retries 5xx twice) and at most two VMs are made at
    // once: five 502s make at least one call fail all three times, a failure the controller sees.
    harness.emulator.setFaults({ serverError: { operation: jitConfig, times: 5 } });
    const jobs = enqueue(harness, 2, "echo served");
    await until("both jobs completed", served(harness, jobs), 80_000);
    expect(harness.emulator.faultsFired()).toEqual([{ fault: "serverError", target: "POST /orgs/acme/actions/runners/generate-jitconfig", count: 5 }]);
    expect(metricValue(await fetchMetrics(harness.controller.url), "runner_fleet_vm_failures_total", { reason: "jit_error" })).toBeGreaterThanOrEqual(1);
    for (const job of jobs) expect(harness.emulator.job(job.jobId)?.conclusion).toBe("success");
  }, 90_000);

  it("the run look-up failing: the job is served, and the look-up is made again until it answers", async () => {
    const harness = await warmFleet();
    harness.emulator.setFaults({ serverError: { operation: runLookup, times: 3 } });
    // Long enough for the trust check to retry while the job runs (a failed look-up waits out two retries, 1 s + 4 s).
    const [job] = enqueue(harness, 1, "sleep 8");
    await until("the job completed", served(harness, [job!]), 60_000);
    expect(harness.emulator.faultsFired()).toEqual([{ fault: "serverError", target: `GET /repos/acme/app/actions/runs/${job!.runId}`, count: 3 }]);
    expect(harness.emulator.job(job!.jobId)?.conclusion).toBe("success");
    expect(harness.contract.statuses.get("actions/get-workflow-run 502")).toBe(3);
    expect(harness.contract.statuses.get("actions/get-workflow-run 200")).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
