/**
 * A fleet on real VMs for integration tests: the emulator in the test process (checked against
 * GitHub's OpenAPI description), the controller
 * as its own process from dist/fleet.cjs (so SIGKILL is a real crash), QEMU/TCG guests booting
 * the lab image through libvirtd, on the lab's libvirt network and nwfilter. Each fleet has its own host name, so its domains, runners and
 * files carry a unique prefix; `close()` removes whatever is left, also after a failed test.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseControllerConfig, type ControllerConfig, type ControllerConfigInput } from "../../runtime/config/controller-config.ts";
import { ownerPrefix } from "../../runtime/controller/naming.ts";
import type { StatusDocument } from "../../runtime/controller/status-report.ts";
import { OpenApiContract } from "../../runtime/emulator/openapi-check/openapi-contract.ts";
import type { Emulator, EmulatorOptions } from "../../runtime/emulator/server.ts";
import { createOctokitGitHub } from "../../runtime/github/octokit-github.ts";
import { createLibvirtHypervisor } from "../../runtime/hypervisor/libvirt/libvirt-hypervisor.ts";
import { labControllerConfig, labLabels } from "../../runtime/lab/lab-config.ts";
import { startLabGitHub, type LabGitHub } from "../../runtime/lab/lab-emulator.ts";
import { fetchMetrics, fetchStatus, killController, spawnController, stopController, waitFor, type ControllerProcess } from "../../runtime/lab/controller-process.ts";
import { findLeaks, type Leaks } from "../../runtime/lab/leak-check.ts";
import type { Hypervisor } from "../../runtime/ports/hypervisor.ts";
import { checked } from "./checked-emulator.ts";
import { ensureLabImage, libvirtUri } from "./lab-image.ts";
import { templatePrefix } from "../../runtime/controller/snapshot-store.ts";

export interface LibvirtFleetOptions {
  pool?: { min?: number; max?: number; register?: "ahead" | "on-claim"; start?: "boot" | "restore" };
  timing?: ControllerConfigInput["timing"];
  /** Replaces the guest kernel command line (to make a guest misbehave, or give it a static address on the lab network). */
  cmdline?: string | ((lab: LabGitHub) => string);
  emulator?: EmulatorOptions;
  /** Where the controller listens (default loopback; production hosts may use 0.0.0.0). */
  listenHost?: string;
}

export interface LibvirtFleet {
  emulator: Emulator;
  /** Checks every exchange of the emulator (the test file fails on a violation). */
  contract: OpenApiContract;
  lab: LabGitHub;
  config: ControllerConfig;
  prefix: string;
  stateDir: string;
  hypervisor: Hypervisor;
  controller: ControllerProcess | undefined;
  /**
   * Starts (or restarts) the controller process and registers its webhook. `crashAt` arms a
   * test crash point (`RF_TEST_CRASH_AT`, runtime/controller/crash-points.ts) in that process.
   */
  start(options?: { crashAt?: string }): Promise<ControllerProcess>;
  /** Waits for the controller to die by itself (an armed crash point); returns its signal. */
  waitForExit(timeoutMs?: number): Promise<NodeJS.Signals | null>;
  /** SIGKILL: the controller dies mid-whatever, leaving everything as it is. */
  kill(): Promise<void>;
  /** SIGTERM and wait: the controller drains and exits. Returns its exit code. */
  stop(): Promise<number | null>;
  status(): Promise<StatusDocument | undefined>;
  metrics(): Promise<string>;
  enqueue(count: number, steps?: { name: string; run: string }[]): { jobId: number; runId: number }[];
  waitForJobs(jobs: readonly { jobId: number }[], timeoutMs?: number): Promise<void>;
  waitForIdle(count: number, timeoutMs?: number): Promise<void>;
  leaks(): Promise<Leaks>;
  close(): Promise<void>;
}

const defaultSteps = [{ name: "work", run: "echo hello from $(hostname); sleep 1" }];

export async function startLibvirtFleet(options: LibvirtFleetOptions = {}): Promise<LibvirtFleet> {
  const image = await ensureLabImage();
  const dir = await mkdtemp(join(tmpdir(), "rf-it-"));
  await chmod(dir, 0o711);
  const contract = new OpenApiContract();
  const lab = await startLabGitHub({ driver: "libvirt", uri: libvirtUri, emulator: checked(options.emulator, contract) });
  const emulator = lab.emulator;
  const input = labControllerConfig({
    driver: "libvirt",
    emulator: lab.emulatorConfig,
    image: { ...image, cmdline: typeof options.cmdline === "function" ? options.cmdline(lab) : (options.cmdline ?? image.cmdline) },
    network: lab.network,
    stateDir: join(dir, "state"),
    webhookSecret: randomBytes(16).toString("hex"),
    adminToken: randomBytes(16).toString("hex"),
    pool: { min: options.pool?.min ?? 1, max: options.pool?.max ?? 3, vcpus: 1, memoryMiB: 768, ...(options.pool?.register ? { register: options.pool.register } : {}) },
    host: { vcpus: 4, memoryMiB: 4096 },
  });
  const config = parseControllerConfig({
    ...input,
    host: { ...input.host, name: `it${randomBytes(3).toString("hex")}` },
    // The boot path unless a test asks for restores: most tests are about what a booted VM does.
    pools: input.pools!.map((p) => ({ ...p, start: options.pool?.start ?? "boot" })),
    listen: { port: 0, ...input.listen, host: options.listenHost ?? input.listen?.host ?? "127.0.0.1" },
    timing: { ...input.timing, reconcileSeconds: 2, jobPollSeconds: 4, ...options.timing },
  });
  const configFile = join(dir, "controller.json");
  await writeFile(configFile, JSON.stringify(config), { mode: 0o600 });
  const prefix = ownerPrefix(config.namePrefix, config.host.name);
  const hypervisor = createLibvirtHypervisor({ uri: libvirtUri, domainType: "qemu" });
  const github = createOctokitGitHub({ apiUrl: emulator.url, scope: config.github.scope, auth: config.github.auth, writeSpacingMs: 0 });
  let runs = 0;

  const fleet: LibvirtFleet = {
    emulator,
    contract,
    lab,
    config,
    prefix,
    stateDir: config.paths.state,
    hypervisor,
    controller: undefined,
    async start(options = {}) {
      const { RF_TEST_CRASH_AT: _inherited, ...env } = process.env;
      if (options.crashAt !== undefined) env.RF_TEST_CRASH_AT = options.crashAt;
      fleet.controller = await spawnController([process.execPath, "dist/fleet.cjs"], configFile, join(dir, `controller-${++runs}.log`), env);
      emulator.addWebhook(`${fleet.controller.url}/webhook`, config.webhook!.secret);
      return fleet.controller;
    },
    async waitForExit(timeoutMs = 180_000) {
      const child = fleet.controller?.child;
      if (!child) throw new Error("no controller to wait for");
      await waitFor("the controller to exit", timeoutMs, () => child.exitCode !== null || child.signalCode !== null);
      fleet.controller = undefined;
      return child.signalCode;
    },
    async kill() {
      if (fleet.controller) await killController(fleet.controller.child);
      fleet.controller = undefined;
    },
    async stop() {
      const code = fleet.controller ? await stopController(fleet.controller.child, 180_000) : null;
      fleet.controller = undefined;
      return code;
    },
    status: () => (fleet.controller ? fetchStatus(fleet.controller.url) : Promise.resolve(undefined)),
    metrics: () => fetchMetrics(fleet.controller!.url),
    enqueue(count, steps = defaultSteps) {
      return Array.from({ length: count }, (_, i) =>
        emulator.enqueueJob({
          repository: "acme/app",
          labels: labLabels,
          jobName: `it-job-${i + 1}`,
          steps,
          event: { name: "pull_request", sender: { login: "octocat", type: "User" }, pullRequest: { number: i + 1, authorAssociation: "MEMBER" } },
        }),
      );
    },
    waitForJobs: (jobs, timeoutMs = 300_000) => waitFor(`${jobs.length} jobs to complete`, timeoutMs, async () => jobs.every((j) => emulator.job(j.jobId)?.status === "completed")),
    waitForIdle: (count, timeoutMs = 180_000) =>
      waitFor(`${count} idle runners`, timeoutMs, async () => ((await fleet.status())?.vms.filter((vm) => vm.phase === "idle").length ?? 0) >= count),
    leaks: () => findLeaks({ prefix, stateDir: config.paths.state, hypervisor, github }),
    async close() {
      await fleet.kill();
      for (const own of [prefix, templatePrefix(config.namePrefix, config.host.name)]) {
        for (const domain of await hypervisor.listDomains(own).catch(() => [])) await hypervisor.removeDomain(domain.name).catch(() => undefined);
      }
      await lab.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}

/** The value of a Prometheus sample, summed over every series matching all `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    // Label values may contain braces (route="GET /orgs/{org}/..."): take up to the last '}'.
    const match = /^(\w+)(\{.*\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = match[2] ?? "";
    if (Object.entries(labels).every(([key, value]) => series.includes(`${key}="${value}"`))) total += Number(match[3]);
  }
  return total;
}
