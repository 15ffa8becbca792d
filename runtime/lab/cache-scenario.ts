/**
 * `fleet lab --scenario caches` (docs/caches.md): one controller, one pool with an npm-like
 * cache, and the lab's package server on the emulator's runner listener. A push to main runs the
 * dependency step with an empty cache (it downloads everything and fills its writable copy,
 * which the controller promotes after the job succeeded); then a pull request job runs the same
 * step against the published generation, read-only, and also tries to write into it. The
 * result: both steps' durations, what each downloaded, and the generations on the host.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { parseControllerConfig, type ControllerConfig } from "../config/controller-config.ts";
import type { CacheStatus } from "../controller/cache-status.ts";
import { ownerPrefix } from "../controller/naming.ts";
import type { EmulatorOptions } from "../emulator/server.ts";
import { gitHubFor } from "../github/from-config.ts";
import { hypervisorFor } from "../hypervisor/from-config.ts";
import { fetchStatus, spawnController, stopController, waitFor } from "./controller-process.ts";
import { labControllerConfig, labLabels } from "./lab-config.ts";
import { cleanUpDomains, type LabOptions } from "./lab.ts";
import { startLabGitHub } from "./lab-emulator.ts";
import { findLeaks, leakCount, type Leaks } from "./leak-check.ts";
import { createPackageServer, dependencyStep, labPackageDefaults } from "./package-server.ts";
import { checkLibvirt, defaultImageDir, readGuestImage, standInImage } from "./prerequisites.ts";

export interface CacheJobResult {
  job: string;
  conclusion: string | null;
  /** The dependency step as the guest timed it. */
  dependencyStepMs: number | undefined;
  /** Package downloads the server saw during the job. */
  downloads: number;
  log: string;
}

export interface CacheScenarioResult {
  jobs: CacheJobResult[];
  caches: CacheStatus[];
  leaks: Leaks;
  succeeded: boolean;
  /** What failed a check, in words. */
  problems: string[];
}

export interface CacheScenarioOptions extends Omit<LabOptions, "jobs"> {
  /** Jobs to run, in order (default: a push to main, then a pull request). */
  jobs?: CacheJobSpec[];
  /** More emulator options (tests: the OpenAPI check); the package server is added to them. */
  emulator?: EmulatorOptions;
}

export interface CacheJobSpec {
  name: string;
  event: { name: string; headBranch?: string; pullRequest?: { number: number } };
  /** Extra shell after the dependency step (a probe, or `exit 1` for a failing job); `{registry}` becomes the package server's base URL. */
  after?: string;
}

export const cachePath = "/home/runner/.npm";

/** The PR job's probe: writing into the cache must fail in the guest. */
export const writeProbe = `if touch ${cachePath}/poisoned 2>/dev/null; then echo "cache write: allowed"; exit 1; else echo "cache write: refused (read-only)"; fi`;

export const defaultCacheJobs: CacheJobSpec[] = [
  { name: "main-fills-cache", event: { name: "push", headBranch: "main" } },
  { name: "pr-reads-cache", event: { name: "pull_request", pullRequest: { number: 7 } }, after: writeProbe },
];

export async function runCacheScenario(options: CacheScenarioOptions): Promise<CacheScenarioResult> {
  const image = options.driver === "libvirt" ? (await checkLibvirt(), await readGuestImage(options.imageDir ?? defaultImageDir)) : undefined;
  const stateDir = await mkdtemp(join(tmpdir(), "runner-fleet-lab-caches-"));
  await chmod(stateDir, 0o711);
  const packages = createPackageServer(labPackageDefaults);
  const lab = await startLabGitHub({ driver: options.driver, emulator: { ...options.emulator, runnerExtra: (req, res, path) => packages.handle(req, res, path) } });
  const emulator = lab.emulator;
  let controller: ChildProcess | undefined;
  let config: ControllerConfig | undefined;
  const problems: string[] = [];
  try {
    config = parseControllerConfig(
      {
        ...labControllerConfig({
          driver: options.driver,
          emulator: lab.emulatorConfig,
          image: image ?? (await standInImage(stateDir)),
          network: lab.network,
          stateDir: join(stateDir, "state"),
          webhookSecret: randomBytes(24).toString("hex"),
          adminToken: randomBytes(24).toString("hex"),
          // No warm VM: a warm VM holds the generation current when it was made, and the PR
          // job must start after the main job's generation is published.
          pool: { min: 0, max: 1, vcpus: 1, memoryMiB: 768, caches: [{ name: "npm", path: cachePath, sizeMiB: 128 }] },
          host: { vcpus: 4, memoryMiB: 4096 },
        }),
        // Pushes to the default branch run on the fleet (and may publish caches) only when opted in.
        trust: { pushToDefaultBranch: true },
      },
      "lab config",
    );
    const configFile = join(stateDir, "controller.json");
    await writeFile(configFile, JSON.stringify(config), { mode: 0o600 });
    const spawned = await spawnController(options.controllerCommand ?? [process.execPath, process.argv[1]!], configFile, join(stateDir, "controller.log"));
    controller = spawned.child;
    emulator.addWebhook(`${spawned.url}/webhook`, config.webhook!.secret);
    options.say(`packages    ${labPackageDefaults.packages} × ${labPackageDefaults.packageBytes / 1024} KiB on ${emulator.runnerUrl}/lab-packages (${labPackageDefaults.latencyMs} ms latency, ${labPackageDefaults.bytesPerSecond / 1024 / 1024} MiB/s per download)`);

    const jobs: CacheJobResult[] = [];
    for (const spec of options.jobs ?? defaultCacheJobs) {
      const before = packages.downloads();
      const { jobId } = emulator.enqueueJob({
        repository: "acme/app",
        labels: labLabels,
        jobName: spec.name,
        workflowName: "ci",
        event: { ...spec.event, sender: { login: "octocat", type: "User" } },
        steps: [
          { name: "dependencies", run: dependencyStep(emulator.runnerUrl, cachePath) },
          ...(spec.after ? [{ name: "after", run: spec.after.replaceAll("{registry}", emulator.runnerUrl) }] : []),
        ],
      });
      options.progress?.(`job ${spec.name}`);
      await waitFor(`job ${spec.name}`, 600_000, async () => emulator.job(jobId)?.status === "completed", options.signal);
      // Promotion happens in the teardown: wait for the VM's history entry.
      await waitFor(`the teardown after ${spec.name}`, 120_000, async () => {
        const status = await fetchStatus(spawned.url);
        return status?.recentJobs.some((e) => e.name === emulator.job(jobId)?.runnerName) ?? false;
      }, options.signal);
      const job = emulator.github.state.jobs.get(jobId)!;
      const step = job.stepResults[0];
      const result: CacheJobResult = {
        job: spec.name,
        conclusion: job.conclusion,
        dependencyStepMs: step?.startedAt != null && step.completedAt != null ? step.completedAt - step.startedAt : undefined,
        downloads: packages.downloads() - before,
        log: job.stepResults.map((s) => s.log.trim()).filter(Boolean).join(" | "),
      };
      jobs.push(result);
      options.say(`job         ${result.job}: ${result.conclusion}, dependency step ${seconds(result.dependencyStepMs)} s, ${result.downloads} downloads; ${result.log}`);
    }
    const caches = (await fetchStatus(spawned.url))?.caches ?? [];
    await stopController(controller, 120_000);
    controller = undefined;
    const leaks = await findLeaks({ prefix: ownerPrefix(config.namePrefix, config.host.name), stateDir: config.paths.state, hypervisor: hypervisorFor(config), github: gitHubFor(config) });
    if (leakCount(leaks) > 0) problems.push(`leaks: ${JSON.stringify(leaks)}`);
    return { jobs, caches, leaks, succeeded: problems.length === 0 && jobs.every((j) => j.conclusion === "success"), problems };
  } finally {
    if (controller) await stopController(controller, 60_000);
    if (config) await cleanUpDomains(config);
    await lab.close();
    if (!options.keep) await rm(stateDir, { recursive: true, force: true });
  }
}

export function seconds(ms: number | undefined): string {
  return ms === undefined ? "?" : (ms / 1000).toFixed(1);
}

/** The scenario's last line: the dependency step without the cache (first job), then with it (second). */
export function cacheSummaryLine(result: CacheScenarioResult): string {
  return `cache: dependency step ${seconds(result.jobs[0]?.dependencyStepMs)} s → ${seconds(result.jobs[1]?.dependencyStepMs)} s`;
}
