/**
 * The local lab: the whole system on one machine. The GitHub emulator runs in this process;
 * the controller runs as its own process from the same bundle the stack ships to hosts, so
 * what the lab exercises is what production runs. N jobs are queued at once against a warm
 * pool; the report shows where each job's time went and whether anything was left behind.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseControllerConfig, type ControllerConfig } from "../config/controller-config.ts";
import { ownerPrefix } from "../controller/naming.ts";
import type { StatusDocument } from "../controller/status-report.ts";
import type { Emulator } from "../emulator/server.ts";
import { gitHubFor } from "../github/from-config.ts";
import { hypervisorFor } from "../hypervisor/from-config.ts";
import { labControllerConfig, type GuestImage } from "./lab-config.ts";
import { startLabGitHub } from "./lab-emulator.ts";
import { jobPickup } from "./job-pickup.ts";
import type { JobRow } from "./lab-report.ts";
import { findLeaks, leakCount, type Leaks } from "./leak-check.ts";
import { archLine, archSteps, labImageDir, labLabelsFor, type LabArch } from "./arch-lab.ts";
import { checkLibvirt, defaultImageDir, readGuestImage, standInImage } from "./prerequisites.ts";
import { fetchStatus, spawnController, stopController, waitFor } from "./controller-process.ts";
import { templatePrefix } from "../controller/snapshot-store.ts";

export interface LabOptions {
  jobs: number;
  driver: "libvirt" | "memory";
  imageDir?: string;
  /** How to run `fleet controller` (default: this process's node and script). */
  controllerCommand?: string[];
  /** Progress lines (the report itself is returned). */
  say: (line: string) => void;
  /** What the lab waits for now, for a live status line (a terminal's). */
  progress?: (text: string) => void;
  signal: AbortSignal;
  /** Keep the state directory (logs, status) after the run. */
  keep?: boolean;
  /** Guest arch (default x64); arm64 runs emulated on an x86_64 machine. */
  arch?: LabArch;
}

export interface LabResult {
  rows: JobRow[];
  leaks: Leaks;
  warmReadyMs: number;
  totalMs: number;
  stateDir: string;
  succeeded: boolean;
  /** Other arches: where the first job ran and how long it took (`arch-lab.ts`). */
  archLine?: string;
}

const warmTimeoutMs = 300_000;
const jobsTimeoutMs = 900_000;

export async function runLab(options: LabOptions): Promise<LabResult> {
  const started = Date.now();
  const arch = options.arch ?? "x64";
  const image = options.driver === "libvirt" ? await libvirtImage(options.imageDir ?? labImageDir(arch, defaultImageDir)) : undefined;
  const stateDir = await mkdtemp(join(tmpdir(), "runner-fleet-lab-"));
  // QEMU runs as its own user and must reach overlays and logs below here.
  await chmod(stateDir, 0o711);
  const lab = await startLabGitHub({ driver: options.driver });
  const emulator = lab.emulator;
  let controller: ChildProcess | undefined;
  let config: ControllerConfig | undefined;
  try {
    config = parseControllerConfig(
      labControllerConfig({
        driver: options.driver,
        emulator: lab.emulatorConfig,
        image: image ?? (await standInImage(stateDir)),
        network: lab.network,
        stateDir: join(stateDir, "state"),
        webhookSecret: randomBytes(24).toString("hex"),
        adminToken: randomBytes(24).toString("hex"),
        pool: { min: 1, max: 3, vcpus: 1, memoryMiB: 768 },
        host: { vcpus: 4, memoryMiB: 4096 },
        arch,
      }),
      "lab config",
    );
    const configFile = join(stateDir, "controller.json");
    await writeFile(configFile, JSON.stringify(config), { mode: 0o600 });
    options.say(`emulator    ${emulator.url}  (GitHub stand-in; guests reach only its runner listener, ${emulator.runnerUrl})`);

    const spawned = await spawnController(options.controllerCommand ?? [process.execPath, process.argv[1]!], configFile, join(stateDir, "controller.log"));
    controller = spawned.child;
    emulator.addWebhook(`${spawned.url}/webhook`, config.webhook!.secret);
    options.say(`controller  ${spawned.url}  (pid ${controller.pid}; log ${join(stateDir, "controller.log")})`);

    const warmStart = Date.now();
    options.progress?.("waiting for the warm pool");
    await waitFor("the warm pool", warmTimeoutMs * (arch === "x64" ? 1 : 3), async () => {
      const status = await fetchStatus(spawned.url);
      return status?.vms.some((vm) => vm.phase === "idle") ?? false;
    }, options.signal);
    const warmReadyMs = Date.now() - warmStart;
    options.say(`warm pool   ready in ${(warmReadyMs / 1000).toFixed(1)} s; queueing ${options.jobs} jobs at once`);

    const enqueued = Array.from({ length: options.jobs }, (_, i) => emulator.enqueueJob(labJob(i + 1, 1, arch)));
    await waitFor(`${options.jobs} jobs`, jobsTimeoutMs, async () => {
      const done = enqueued.filter((job) => emulator.job(job.jobId)?.status === "completed").length;
      const running = enqueued.filter((job) => emulator.job(job.jobId)?.status === "in_progress").length;
      options.progress?.(`jobs: ${done} of ${options.jobs} done, ${running} running`);
      return done === enqueued.length;
    }, options.signal);
    options.progress?.("waiting for the job VMs' teardown");
    // Let the controller finish tearing down the VMs that ran them before reading its history.
    await waitFor("the job VMs' teardown", 120_000, async () => {
      const status = await fetchStatus(spawned.url);
      const names = new Set(enqueued.map((job) => emulator.job(job.jobId)?.runnerName));
      return (status?.recentJobs.filter((entry) => names.has(entry.name)).length ?? 0) === enqueued.length;
    }, options.signal);
    const status = await fetchStatus(spawned.url);
    const rows = enqueued.map((job) => jobRow(emulator, job.jobId, status));

    options.say("draining    SIGTERM to the controller: idle VMs are removed, then it exits");
    options.progress?.("draining the controller, then the leak check");
    await stopController(controller, 120_000);
    controller = undefined;
    const served = arch === "x64" ? undefined : archLine(arch, emulator.github.state.jobs.get(enqueued[0]!.jobId)!);
    const leaks = await findLeaks({ prefix: ownerPrefix(config.namePrefix, config.host.name), stateDir: config.paths.state, hypervisor: hypervisorFor(config), github: gitHubFor(config) });
    return {
      rows,
      leaks,
      warmReadyMs,
      totalMs: Date.now() - started,
      stateDir,
      succeeded: rows.every((row) => row.conclusion === "success") && leakCount(leaks) === 0 && (served?.ok ?? true),
      ...(served ? { archLine: served.line } : {}),
    };
  } finally {
    if (controller) await stopController(controller, 60_000);
    if (config) await cleanUpDomains(config);
    await lab.close();
    if (!options.keep) await rm(stateDir, { recursive: true, force: true });
  }
}

/** Each lab job: a few steps a CI job would run, about `workSeconds` of work. */
export function labJob(n: number, workSeconds = 1, arch: LabArch = "x64") {
  return {
    repository: "acme/app",
    labels: labLabelsFor(arch),
    jobName: `lab-job-${n}`,
    workflowName: "lab",
    steps: [
      { name: "who am I", run: "id -un; uname -sr" },
      { name: "work", run: `echo "job ${n} on $(hostname)"; sleep ${workSeconds}` },
      ...archSteps(arch),
    ],
    event: { name: "pull_request", sender: { login: "octocat", type: "User" as const }, pullRequest: { number: n, authorAssociation: "MEMBER" as const } },
  };
}

function jobRow(emulator: Emulator, jobId: number, status: StatusDocument | undefined): JobRow {
  // The emulator's own clock has millisecond resolution (GitHub's API timestamps have seconds);
  // the pickup runs to the first step in the guest, moved onto that clock.
  const job = emulator.github.state.jobs.get(jobId)!;
  const entry = status?.recentJobs.find((e) => e.name === job.runnerName);
  const online = entry?.times.online;
  return {
    job: job.name,
    runner: job.runnerName ?? "-",
    conclusion: job.conclusion ?? job.status,
    pickup: jobPickup(job),
    warm: online !== undefined && online <= job.createdAt,
    phasesMs: entry?.phasesMs ?? {},
  };
}

export async function libvirtImage(dir: string): Promise<GuestImage> {
  await checkLibvirt();
  return readGuestImage(dir);
}

/** After a failed run, nothing of the lab's may stay on the machine. */
export async function cleanUpDomains(config: ControllerConfig): Promise<void> {
  if (config.hypervisor.driver !== "libvirt") return;
  const hypervisor = hypervisorFor(config);
  const prefix = ownerPrefix(config.namePrefix, config.host.name);
  for (const own of [prefix, templatePrefix(config.namePrefix, config.host.name)]) {
    for (const domain of await hypervisor.listDomains(own).catch(() => [])) await hypervisor.removeDomain(domain.name).catch(() => undefined);
  }
}
