/**
 * A controller pointed at PostgreSQL: a bad postgresUrl is a named problem in health and
 * status, not a crash loop, and it recovers by itself once the URL works (the database is back).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startController } from "../../runtime/controller/daemon.ts";
import { createLogger } from "../../runtime/log/logger.ts";
import { startEmulatorChecked } from "../support/checked-emulator.ts";
import { fleetLabels, harnessConfig, trustedPullRequest, until } from "../support/fleet-harness.ts";
import { startTestPostgres, type TestPostgres } from "../support/postgres.ts";
import { createMemoryHypervisor } from "../../runtime/hypervisor/memory/memory-hypervisor.ts";
import { runsGuestAgent } from "../../runtime/hypervisor/memory/guest-behaviours.ts";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.server.destroy();
});

it("stays up with a stopped database, names the problem without the password, and serves jobs once it is back", async () => {
  const url = await pg.freshDatabase();
  const password = new URL(url).password;
  await pg.server.stop();
  const emulator = await startEmulatorChecked({ runnerOfflineAfterSeconds: 5 });
  const dir = await mkdtemp(join(tmpdir(), "rf-coord-"));
  let logs = "";
  const logger = createLogger({ name: "t", level: "debug", destination: new Writable({ write: (chunk, _e, done) => ((logs += String(chunk)), done()) }) });
  const config = await harnessConfig(emulator, dir, {
    config: { coordination: { postgres: { url, leaseSeconds: 5, heartbeatSeconds: 1, statementTimeoutMs: 1000 } } },
  });
  const hypervisor = createMemoryHypervisor({ guest: runsGuestAgent({ pollWaitSeconds: 1 }) });
  const controller = await startController({ config, logger, hypervisor });
  try {
    const health = async () => (await fetch(`${controller.url}/healthz`)).json() as Promise<{ problems: string[] }>;
    await until("the problem in health", async () => (await health()).problems.some((p) => p.startsWith("coordination: coordination database 127.0.0.1:")), 15_000);
    const job = emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, jobName: "j", steps: [{ name: "s", run: "true" }], event: trustedPullRequest(1) });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const status = controller.reconciler.lastResult()!.status;
    expect(status.fleet?.problem).toMatch(/^coordination database 127\.0\.0\.1:\d+\/\w+: /);
    // No claims while the database is down: no VM for the job, and no warm VM either.
    expect(status.vms).toEqual([]);
    expect(emulator.job(job.jobId)?.status).toBe("queued");

    await pg.server.start();
    await until("the job served", () => emulator.job(job.jobId)?.status === "completed", 30_000);
    await until("the problem gone", async () => !(await health()).problems.some((p) => p.startsWith("coordination:")), 15_000);
    expect(logs).toContain("coordination_unavailable");
    expect(logs).not.toContain(password);
  } finally {
    await controller.abandon();
    for (const d of await hypervisor.listDomains("")) await hypervisor.destroyDomain(d.name);
    await hypervisor.settled();
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
});
