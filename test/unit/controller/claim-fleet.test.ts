/**
 * JIT on claim, whole, in one process: the real emulator (GitHub), the controller with signed
 * webhooks, in-memory VMs running the real guest agent, which wait on a real job channel socket.
 */
import { afterEach, describe, expect, it } from "vitest";
import { trustStatusContext } from "../../../runtime/controller/refused-run.ts";
import { fleetLabels, startFleetHarness, trustedPullRequest, until, type FleetHarness } from "../../support/fleet-harness.ts";
import { metricValue } from "../../support/libvirt-fleet.ts";

let fleet: FleetHarness | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

const jitCalls = (f: FleetHarness) => f.contract.operations.get("actions/generate-runner-jitconfig-for-org") ?? 0;
const registered = (f: FleetHarness) => (f.emulator.snapshot().runners as { name: string; labels: { name: string }[] }[]).filter((r) => r.name.startsWith("rf-h1-"));
const bigLabels = [...fleetLabels, "big"];

async function onClaimFleet(): Promise<FleetHarness> {
  const f = await startFleetHarness({
    config: {
      pools: [
        { name: "small", labels: fleetLabels, min: 1, max: 2, vcpus: 1, memoryMiB: 512, register: "on-claim" },
        // Same shape, its own labels, no warm VM of its own: the small pool's waiting VM serves it.
        { name: "big", labels: bigLabels, min: 0, max: 1, vcpus: 1, memoryMiB: 512, register: "on-claim" },
      ],
    },
  });
  const status = () => f.controller.reconciler.lastResult()?.status;
  await until("a waiting VM", () => status()?.vms.some((vm) => vm.phase === "waiting") ?? false);
  return f;
}

describe("JIT on claim (in-memory VMs, real emulator)", () => {
  it("a waiting VM boots unregistered, gets its job's own JIT config over the channel, serves it once, and a VM of the same shape serves another label set", async () => {
    fleet = await onClaimFleet();
    const f = fleet;
    expect(registered(f)).toEqual([]);
    expect(jitCalls(f)).toBe(0);

    const first = f.emulator.enqueueJob({ repository: "acme/app", labels: bigLabels, jobName: "big-job", steps: [{ name: "hello", run: "echo hello" }], event: trustedPullRequest(1) });
    await until("the big job completed", () => f.emulator.job(first.jobId)?.status === "completed");
    const job = f.emulator.job(first.jobId)!;
    expect(job.conclusion).toBe("success");
    // Served by the small pool's waiting VM (the big pool keeps no warm VM), registered for the job's labels.
    expect(job.runnerName).toMatch(/^rf-h1-small-/);
    expect(jitCalls(f)).toBe(1);

    await until("a waiting VM again", () => f.controller.reconciler.lastResult()?.status.vms.some((vm) => vm.phase === "waiting") ?? false);
    const second = f.emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, jobName: "small-job", steps: [{ name: "hello", run: "echo hello" }], event: trustedPullRequest(2) });
    await until("the small job completed", () => f.emulator.job(second.jobId)?.status === "completed");
    expect(f.emulator.job(second.jobId)!.conclusion).toBe("success");
    expect(f.emulator.job(second.jobId)!.runnerName).not.toBe(job.runnerName);
    expect(jitCalls(f)).toBe(2);
    await until("both VMs gone", () => (f.controller.reconciler.lastResult()?.status.recentJobs.filter((j) => j.outcome === "success").length ?? 0) === 2);
  });

  it("an untrusted job gets no JIT config at all: refused visibly, and the waiting VM keeps waiting", async () => {
    fleet = await onClaimFleet();
    const f = fleet;
    const refused = async () => metricValue(await f.controller.context.metrics.registry.metrics(), "runner_fleet_untrusted_jobs_refused_total");
    const fork = f.emulator.enqueueJob({
      repository: "acme/app",
      labels: fleetLabels,
      steps: [{ name: "untrusted", run: "echo untrusted" }],
      event: { name: "pull_request", sender: { login: "mallory", type: "User" }, pullRequest: { number: 66, headRepository: "mallory/app", authorAssociation: "CONTRIBUTOR" } },
    });
    await until("the refusal counted", async () => (await refused()) === 1);
    await until("the run cancelled", () => f.emulator.job(fork.jobId)?.status === "completed");
    const { state } = f.emulator.github;
    await until("the commit status", () => state.statusesOf("acme/app", state.runs.get(fork.runId)!.headSha).length > 0);
    expect(state.statusesOf("acme/app", state.runs.get(fork.runId)!.headSha)).toEqual([
      expect.objectContaining({ state: "failure", context: trustStatusContext, description: expect.stringMatching(/^Refused on self-hosted runners: fork: /) }),
    ]);
    expect(f.emulator.job(fork.jobId)!.runnerName ?? null).toBeNull();
    expect(jitCalls(f)).toBe(0);
    expect(registered(f)).toEqual([]);
    expect(f.controller.reconciler.lastResult()?.status.vms.map((vm) => vm.phase)).toEqual(["waiting"]);
  });
});
