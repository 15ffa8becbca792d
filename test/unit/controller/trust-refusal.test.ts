/**
 * The trust gate, whole, in one process: the real emulator (GitHub), the controller with the
 * Octokit adapter and signed webhooks, in-memory VMs running the real guest agent. A refused job
 * must end at once and visibly, and leave no registration behind.
 */
import { afterEach, describe, expect, it } from "vitest";
import { trustStatusContext } from "../../../runtime/controller/refused-run.ts";
import type { EnqueueJobRequest } from "../../../runtime/emulator/job-request.ts";
import { fleetLabels, startFleetHarness, until, type FleetHarness } from "../../support/fleet-harness.ts";
import { metricValue } from "../../support/libvirt-fleet.ts";

let fleet: FleetHarness | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

const untrustedSteps = [{ name: "untrusted", run: "echo untrusted code; sleep 30" }];
const forkJob: EnqueueJobRequest = {
  repository: "acme/app",
  labels: fleetLabels,
  steps: untrustedSteps,
  event: { name: "pull_request", sender: { login: "mallory", type: "User" }, pullRequest: { number: 66, headRepository: "mallory/app", authorAssociation: "CONTRIBUTOR" } },
};
const botJob: EnqueueJobRequest = {
  repository: "acme/app",
  labels: fleetLabels,
  steps: untrustedSteps,
  event: { name: "pull_request", sender: { login: "dependabot[bot]", type: "Bot" }, pullRequest: { number: 67, authorAssociation: "NONE" } },
};

function statusesOf(f: FleetHarness, runId: number) {
  const { state } = f.emulator.github;
  return state.statusesOf("acme/app", state.runs.get(runId)!.headSha);
}

async function refusedCount(f: FleetHarness): Promise<number> {
  return metricValue(await f.controller.context.metrics.registry.metrics(), "runner_fleet_untrusted_jobs_refused_total");
}

describe("trust gate (in-memory VMs, real emulator)", () => {
  it("refuses a fork's job a warm runner took: VM torn down (untrusted), run cancelled, reason on the commit, registration gone", async () => {
    fleet = await startFleetHarness();
    const f = fleet;
    const status = () => f.controller.reconciler.lastResult()?.status;
    await until("a warm idle runner", () => status()?.vms.some((vm) => vm.phase === "idle") ?? false);

    const { jobId, runId } = f.emulator.enqueueJob(forkJob);
    await until("the refused job to end", () => f.emulator.job(jobId)?.status === "completed");
    const job = f.emulator.job(jobId)!;
    expect(job.conclusion).toBe("cancelled");
    expect(job.runnerName).toMatch(/^rf-h1-/);
    // The 30 s step never got to finish.
    expect(job.steps[0]?.conclusion).not.toBe("success");

    await until("the refused VM in the history", () => status()?.recentJobs.some((j) => j.name === job.runnerName) ?? false);
    const entry = status()!.recentJobs.find((j) => j.name === job.runnerName)!;
    expect(entry).toMatchObject({ reason: "untrusted", outcome: "refused" });
    expect(entry.detail).toMatch(/^fork: /);

    expect(statusesOf(f, runId)).toEqual([
      expect.objectContaining({ state: "failure", context: trustStatusContext, description: expect.stringMatching(/^Refused on self-hosted runners: fork: /) }),
    ]);
    expect(f.emulator.github.state.runners.has(job.runnerId!)).toBe(false);
    expect(await refusedCount(f)).toBe(1);
  });

  it("cancels a bot's queued job before any runner takes it, and starts no VM for it", async () => {
    // No warm pool: nothing can take the job before the controller has judged it.
    fleet = await startFleetHarness({ config: { pools: [{ name: "small", labels: fleetLabels, min: 0, max: 3, vcpus: 1, memoryMiB: 512 }] } });
    const f = fleet;
    const { jobId, runId } = f.emulator.enqueueJob(botJob);
    await until("the bot's job to end", () => f.emulator.job(jobId)?.status === "completed");
    expect(f.emulator.job(jobId)).toMatchObject({ conclusion: "cancelled", runnerName: null });
    await until("its commit status", () => statusesOf(f, runId).length > 0);
    expect(statusesOf(f, runId)[0]).toMatchObject({ state: "failure", context: trustStatusContext, description: expect.stringContaining("bot") });
    expect(await refusedCount(f)).toBe(1);
    // A pass or two later the pool is still empty, and no runner was ever registered.
    await f.controller.reconciler.pass();
    await f.controller.reconciler.pass();
    expect(f.controller.reconciler.lastResult()!.status.vms).toEqual([]);
    expect(f.emulator.github.state.runners.size).toBe(0);
  });

  it("leaves jobs aimed at GitHub-hosted runners alone, however untrusted", async () => {
    fleet = await startFleetHarness();
    const f = fleet;
    const { jobId } = f.emulator.enqueueJob({ ...forkJob, labels: ["ubuntu-latest"] });
    await f.controller.reconciler.pass();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await f.controller.reconciler.pass();
    expect(f.emulator.job(jobId)?.status).toBe("queued");
    expect(await refusedCount(f)).toBe(0);
  });
});
