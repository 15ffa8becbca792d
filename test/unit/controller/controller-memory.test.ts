/**
 * The whole controller in one process: the real emulator on loopback (GitHub), the Octokit
 * adapter, signed webhooks, and the in-memory hypervisor whose guests run the real guest agent.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readdir, stat } from "node:fs/promises";
import { stateDirs } from "../../../runtime/controller/naming.ts";
import { fleetLabels, startFleetHarness, trustedPullRequest, until, type FleetHarness } from "../../support/fleet-harness.ts";

let fleet: FleetHarness | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

describe("controller (in-memory hypervisor, real emulator)", () => {
  it("keeps a warm pool, runs queued jobs one VM each, and leaves nothing behind", async () => {
    fleet = await startFleetHarness();
    const { emulator, controller, stateDir } = fleet;
    const status = () => controller.reconciler.lastResult()?.status;
    await until("a warm idle runner", () => status()?.vms.some((vm) => vm.phase === "idle") ?? false);

    const jobs = [1, 2, 3].map((i) =>
      emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, jobName: `job-${i}`, steps: [{ name: "hello", run: `echo hello ${i}; sleep 0.5` }], event: trustedPullRequest(i) }),
    );
    await until("all jobs completed", () => jobs.every((j) => emulator.job(j.jobId)?.status === "completed"));
    for (const j of jobs) expect(emulator.job(j.jobId)?.conclusion).toBe("success");

    // Each job ran on its own runner, and every runner VM that ran a job is gone.
    const runnerNames = jobs.map((j) => emulator.job(j.jobId)!.runnerName);
    expect(new Set(runnerNames).size).toBe(3);
    await until("job VMs torn down", () => (status()?.recentJobs.filter((j) => j.outcome === "success").length ?? 0) === 3);
    const finished = status()!.recentJobs.filter((j) => j.outcome === "success");
    expect(finished.map((j) => j.name).sort()).toEqual([...runnerNames].sort());
    for (const job of finished) {
      expect(job.phasesMs.jit).toBeGreaterThanOrEqual(0);
      expect(job.queueWaitMs).toBeGreaterThanOrEqual(0);
    }

    await controller.shutdown();
    const dirs = stateDirs(stateDir);
    expect(await readdir(dirs.records)).toEqual([]);
    expect(await readdir(dirs.secrets)).toEqual([]);
    const runners = (emulator.snapshot().runners as { name: string }[]).filter((r) => r.name.startsWith("rf-h1-"));
    expect(runners).toEqual([]);
  });
});

describe("controller setup checks", () => {
  it("gives its state directory the modes QEMU and secrecy need, whatever they were", async () => {
    fleet = await startFleetHarness();
    const dirs = stateDirs(fleet.stateDir);
    const mode = async (dir: string) => (await stat(dir)).mode & 0o777;
    // The harness made the state directory 0700 (mkdtemp): QEMU could not reach the overlays.
    expect(await mode(fleet.stateDir)).toBe(0o711);
    expect(await mode(dirs.records)).toBe(0o700);
    expect(await mode(dirs.overlays)).toBe(0o711);
    expect(await mode(dirs.secrets)).toBe(0o711);
  });

  it("reports a runner group that does not exist as a health problem", async () => {
    fleet = await startFleetHarness({ github: { runnerGroupId: 4242 } });
    const url = fleet.controller.url;
    const health = async () => {
      const response = await fetch(`${url}/healthz`);
      return { status: response.status, problems: ((await response.json()) as { problems: string[] }).problems };
    };
    const problem = "runner group 4242 does not exist in organization acme: every JIT config request will fail";
    await until("the runner group check", async () => (await health()).problems.includes(problem));
    expect((await health()).status).toBe(503);
    // /status is written at the end of a pass: the next one carries it.
    await until("the problem in the status", () => fleet!.controller.reconciler.lastResult()?.status.controller.setupProblems.includes(problem) ?? false);
  });
});

