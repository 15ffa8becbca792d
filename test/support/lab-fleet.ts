/**
 * The lab for the operator tests: the emulator (every exchange checked against GitHub's OpenAPI
 * description) and a controller running as its own process from dist/fleet.cjs with the lab's
 * config, as `fleet lab --driver memory` runs it. The memory driver's guests run the real guest
 * agent, so jobs are real runner-protocol jobs; only the VMs are simulated, which keeps browser
 * and Prometheus tests fast. The guard runs inside this controller, as on a designated host.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseControllerConfig, type ControllerConfig } from "../../runtime/config/controller-config.ts";
import type { Emulator } from "../../runtime/emulator/server.ts";
import { labControllerConfig, labLabels } from "../../runtime/lab/lab-config.ts";
import { memoryDriverNetwork } from "../../runtime/lab/lab-emulator.ts";
import { spawnController, stopController } from "../../runtime/lab/controller-process.ts";
import { standInImage } from "../../runtime/lab/prerequisites.ts";
import { routingVariableName } from "../../runtime/routing/decide.ts";
import { startCheckedEmulator, type CheckedEmulator } from "./checked-emulator.ts";

export interface LabFleet {
  emulator: Emulator;
  checked: CheckedEmulator;
  config: ControllerConfig;
  /** The controller's base URL. */
  url: string;
  controller: ChildProcess;
  logFile: string;
  /** Queues a job that works for `seconds`: a trusted pull request's unless `sender` says otherwise. */
  enqueue(name: string, seconds: number, sender?: { login: string; type: "User" | "Bot" }): { jobId: number; runId: number };
  close(): Promise<void>;
}

export async function startLabFleet(options: { guardIntervalSeconds?: number; bootTimeoutSeconds?: number } = {}): Promise<LabFleet> {
  // As the lab runs it: the runner protocol on a listener of its own, here on loopback.
  const checked = await startCheckedEmulator({ runnerListener: { host: "127.0.0.1" } });
  const { emulator } = checked;
  const dir = await mkdtemp(join(tmpdir(), "rf-operator-"));
  const base = labControllerConfig({
    driver: "memory",
    emulator: { url: emulator.url, appId: emulator.app.id, installationId: emulator.app.installationId("acme"), privateKey: emulator.app.privateKey! },
    image: await standInImage(dir),
    network: memoryDriverNetwork,
    stateDir: join(dir, "state"),
    webhookSecret: randomBytes(24).toString("hex"),
    adminToken: randomBytes(24).toString("hex"),
    // A cache, so its metrics have series (memory driver: placeholder images, runtime/caches).
    pool: { min: 1, max: 3, vcpus: 1, memoryMiB: 768, caches: [{ name: "npm", path: "/home/runner/.npm", sizeMiB: 64 }] },
    host: { vcpus: 4, memoryMiB: 4096 },
  });
  const config = parseControllerConfig(
    {
      ...base,
      timing: { ...base.timing, reconcileSeconds: 1, jobPollSeconds: 2, bootTimeoutSeconds: options.bootTimeoutSeconds ?? base.timing!.bootTimeoutSeconds },
      guard: { enabled: true, intervalSeconds: options.guardIntervalSeconds ?? 2 },
    },
    "operator lab config",
  );
  // Trusted routing is on, as the stack leaves it; the guard decides from there.
  const at = Date.now() - 600_000;
  emulator.github.state.variablesOf("acme/app").set(routingVariableName, { name: routingVariableName, value: "true", createdAt: at, updatedAt: at });
  const configFile = join(dir, "controller.json");
  await writeFile(configFile, JSON.stringify(config), { mode: 0o600 });
  const logFile = join(dir, "controller.log");
  const spawned = await spawnController([process.execPath, "dist/fleet.cjs"], configFile, logFile);
  emulator.addWebhook(`${spawned.url}/webhook`, config.webhook!.secret);
  let n = 0;
  return {
    emulator,
    checked,
    config,
    url: spawned.url,
    controller: spawned.child,
    logFile,
    enqueue(name, seconds, sender = { login: "octocat", type: "User" }) {
      n += 1;
      return emulator.enqueueJob({
        repository: "acme/app",
        labels: labLabels,
        jobName: name,
        workflowName: "ci",
        steps: [{ name: "work", run: `echo "${name}"; sleep ${seconds}` }],
        event: { name: "pull_request", sender, pullRequest: { number: n, authorAssociation: "MEMBER" } },
      });
    },
    async close() {
      await stopController(spawned.child, 30_000);
      await checked.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
