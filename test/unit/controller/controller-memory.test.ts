/**
 * The whole controller in one process: the real emulator on loopback (GitHub), the Octokit
 * adapter, signed webhooks, and the in-memory hypervisor whose guests run the real guest agent.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "../../../runtime/emulator/server.ts";
import { startController, type RunningController } from "../../../runtime/controller/daemon.ts";
import { parseControllerConfig, type ControllerConfigInput } from "../../../runtime/config/controller-config.ts";
import { createLogger } from "../../../runtime/log/logger.ts";
import { createMemoryHypervisor } from "../../../runtime/hypervisor/memory/memory-hypervisor.ts";
import { runsGuestAgent } from "../../../runtime/hypervisor/memory/guest-behaviours.ts";
import { stateDirs } from "../../../runtime/controller/naming.ts";
import pino from "pino";

const labels = ["self-hosted", "linux", "x64", "runner-fleet"];
const trustedPullRequest = (number: number) => ({ name: "pull_request", sender: { login: "octocat", type: "User" as const }, pullRequest: { number, authorAssociation: "MEMBER" as const } });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function setup(over: Partial<ControllerConfigInput> = {}): Promise<{ emulator: Emulator; controller: RunningController; state: string }> {
  const emulator = await startEmulator({ runnerOfflineAfterSeconds: 5 });
  cleanups.push(() => emulator.close());
  const state = await mkdtemp(join(tmpdir(), "rf-ctl-"));
  cleanups.push(() => rm(state, { recursive: true, force: true }));
  const base = join(state, "base.qcow2");
  await writeFile(base, "base image stand-in");
  const secret = "s".repeat(32);
  const config = parseControllerConfig({
    host: { name: "h1", vcpus: 8, memoryMiB: 8192 },
    github: {
      apiUrl: emulator.url,
      scope: { kind: "org", org: "acme" },
      repositories: ["acme/app"],
      runnerGroupId: 1,
      auth: { kind: "app", appId: emulator.app.id, installationId: emulator.app.installationId("acme"), privateKey: emulator.app.privateKey! },
    },
    listen: { host: "127.0.0.1", port: 0 },
    webhook: { secret },
    adminToken: "a".repeat(32),
    pools: [{ name: "small", labels, min: 1, max: 3, vcpus: 1, memoryMiB: 512 }],
    image: { base, boot: { kind: "disk" } },
    network: { kind: "user-restricted", forwards: [] },
    paths: { state },
    timing: { reconcileSeconds: 1, jobPollSeconds: 2, bootTimeoutSeconds: 10 },
    ...over,
  });
  const hypervisor = createMemoryHypervisor({ guest: runsGuestAgent({ pollWaitSeconds: 1 }) });
  const logger = createLogger({ name: "test", level: "warn", destination: pino.destination({ fd: 2, sync: true }) });
  const controller = await startController({ config, logger, hypervisor });
  cleanups.push(() => controller.abandon());
  emulator.addWebhook(`${controller.url}/webhook`, secret);
  return { emulator, controller, state };
}

describe("controller (in-memory hypervisor, real emulator)", () => {
  it("keeps a warm pool, runs queued jobs one VM each, and leaves nothing behind", async () => {
    const { emulator, controller, state } = await setup();
    const status = () => controller.reconciler.lastResult()?.status;
    await until("a warm idle runner", () => status()?.vms.some((vm) => vm.phase === "idle") ?? false);

    const jobs = [1, 2, 3].map((i) => emulator.enqueueJob({ repository: "acme/app", labels, jobName: `job-${i}`, steps: [{ name: "hello", run: `echo hello ${i}; sleep 0.5` }], event: trustedPullRequest(i) }));
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
    const dirs = stateDirs(state);
    expect(await readdir(dirs.records)).toEqual([]);
    expect(await readdir(dirs.secrets)).toEqual([]);
    const runners = (emulator.snapshot().runners as { name: string }[]).filter((r) => r.name.startsWith("rf-h1-"));
    expect(runners).toEqual([]);
  });
});
