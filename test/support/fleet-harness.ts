/**
 * A whole fleet in one process for tests: the real emulator on loopback (GitHub, checked against
 * its OpenAPI description), a controller
 * with the Octokit adapter and signed webhooks, and the in-memory hypervisor whose guests run
 * the real guest agent. Everything is torn down by `close()`.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { OpenApiContract } from "../../runtime/emulator/openapi-check/openapi-contract.ts";
import type { Emulator, EmulatorOptions } from "../../runtime/emulator/server.ts";
import { startController, type RunningController } from "../../runtime/controller/daemon.ts";
import { parseControllerConfig, type ControllerConfig, type ControllerConfigInput } from "../../runtime/config/controller-config.ts";
import { createLogger } from "../../runtime/log/logger.ts";
import { createMemoryHypervisor, type MemoryHypervisor } from "../../runtime/hypervisor/memory/memory-hypervisor.ts";
import { runsGuestAgent, type GuestBehaviour } from "../../runtime/hypervisor/memory/guest-behaviours.ts";
import type { ReconcilerOptions } from "../../runtime/controller/reconciler.ts";
import { waitFor } from "../../runtime/lab/controller-process.ts";
import { startEmulatorChecked } from "./checked-emulator.ts";

export const fleetLabels = ["self-hosted", "linux", "x64", "runner-fleet"];
export const webhookSecret = "test-webhook-secret-0123456789";
export const adminToken = "test-admin-token-0123456789abcdef";

/** A pull request event context the routing decision trusts. */
export function trustedPullRequest(number: number) {
  return { name: "pull_request", sender: { login: "octocat", type: "User" as const }, pullRequest: { number, authorAssociation: "MEMBER" as const } };
}

export interface FleetHarness {
  emulator: Emulator;
  /** Checks every exchange of the emulator (the test file fails on a violation). */
  contract: OpenApiContract;
  controller: RunningController;
  config: ControllerConfig;
  hypervisor: MemoryHypervisor;
  stateDir: string;
  /** Writes the controller config (mode 0600) to a file, for CLI commands that take --config. */
  writeConfigFile(): Promise<string>;
  close(): Promise<void>;
}

export interface FleetHarnessOptions {
  config?: Partial<ControllerConfigInput>;
  /** Merged into the harness's GitHub settings (which need the emulator's URL and app key). */
  github?: Partial<ControllerConfigInput["github"]>;
  emulator?: EmulatorOptions;
  guest?: GuestBehaviour;
  reconciler?: ReconcilerOptions;
  /** Register the controller's webhook with the emulator (default true). */
  webhook?: boolean;
}

export async function startFleetHarness(options: FleetHarnessOptions = {}): Promise<FleetHarness> {
  const contract = new OpenApiContract();
  const emulator = await startEmulatorChecked({ runnerOfflineAfterSeconds: 5, ...options.emulator }, contract);
  const stateDir = await mkdtemp(join(tmpdir(), "rf-harness-"));
  const config = await harnessConfig(emulator, stateDir, options);
  const hypervisor = createMemoryHypervisor({ guest: options.guest ?? runsGuestAgent({ pollWaitSeconds: 1 }) });
  const logger = harnessLogger();
  const controller = await startController({ config, logger, hypervisor, ...(options.reconciler ? { reconciler: options.reconciler } : {}) });
  if (options.webhook ?? true) emulator.addWebhook(`${controller.url}/webhook`, webhookSecret);
  let closed = false;
  return {
    emulator,
    contract,
    controller,
    config,
    hypervisor,
    stateDir,
    async writeConfigFile() {
      const file = join(stateDir, "controller.json");
      await writeFile(file, JSON.stringify(config), { mode: 0o600 });
      return file;
    },
    async close() {
      if (closed) return;
      closed = true;
      await controller.abandon();
      // abandon() leaves VMs running, as a crash would; their in-process guests end with them.
      for (const domain of await hypervisor.listDomains("")) await hypervisor.destroyDomain(domain.name);
      await hypervisor.settled();
      await emulator.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** The harness's controller config: state in `stateDir` (with a stand-in base image), GitHub at the emulator. */
export async function harnessConfig(emulator: Emulator, stateDir: string, options: Pick<FleetHarnessOptions, "config" | "github"> = {}): Promise<ControllerConfig> {
  const base = join(stateDir, "base.qcow2");
  await writeFile(base, "base image stand-in");
  return parseControllerConfig({
    host: { name: "h1", vcpus: 8, memoryMiB: 8192 },
    github: {
      apiUrl: emulator.url,
      scope: { kind: "org", org: "acme" },
      repositories: ["acme/app"],
      runnerGroupId: 1,
      auth: { kind: "app", appId: emulator.app.id, installationId: emulator.app.installationId("acme"), privateKey: emulator.app.privateKey! },
      ...options.github,
    },
    listen: { host: "127.0.0.1", port: 0 },
    webhook: { secret: webhookSecret },
    adminToken,
    pools: [{ name: "small", labels: fleetLabels, min: 1, max: 3, vcpus: 1, memoryMiB: 512 }],
    image: { base, boot: { kind: "disk" } },
    network: { kind: "libvirt-network", network: "runner-fleet" },
    paths: { state: stateDir, status: join(stateDir, "status.json"), inventory: join(stateDir, "inventory.json") },
    timing: { reconcileSeconds: 1, jobPollSeconds: 2, bootTimeoutSeconds: 10 },
    hypervisor: { driver: "memory", domainType: "qemu" },
    ...options.config,
  });
}

/** Silent unless FLEET_TEST_LOG names a level. */
export function harnessLogger() {
  return createLogger({ name: "harness", level: process.env.FLEET_TEST_LOG ?? "silent", destination: pino.destination({ fd: 2, sync: true }) });
}

/** Polls `predicate` every 25 ms (in-process fleets move fast) until it holds, or fails naming `what`. */
export function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  return waitFor(what, timeoutMs, predicate, undefined, 25);
}
