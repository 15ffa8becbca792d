/**
 * The multi-host lab (docs/coordination.md): N controllers as separate hosts, each its own
 * process in its own network namespace with its own address, coordinated through one private
 * PostgreSQL, against the GitHub emulator. It queues a burst, SIGKILLs one host while it holds
 * claims, cuts another off the network for longer than a lease, and reports who ran what, what
 * was taken over, and what was left behind. Everything is measured, nothing assumed:
 * - served: jobs GitHub (the emulator) saw succeed;
 * - duplicate VMs: VMs the hosts started during the burst that ended `unused` (never ran a job,
 *   did not fail) other than by the warm pool shrinking, read from each host's own history;
 * - reclaimed: jobs a faulted host held (read from the database at the fault) that another host
 *   then ran, and the longest time from the fault to such a job starting (GitHub's view);
 * - leaks: domains, overlays, runner registrations and secret files of every host, after the
 *   killed host has been restarted (as systemd would) and every host drained.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { parseControllerConfig, type ControllerConfig } from "../config/controller-config.ts";
import { ownerPrefix } from "../controller/naming.ts";
import type { StatusDocument } from "../controller/status-report.ts";
import { gitHubFor } from "../github/from-config.ts";
import { hypervisorFor } from "../hypervisor/from-config.ts";
import { fetchStatus, killController, spawnController, stopController, waitFor, type ControllerProcess } from "./controller-process.ts";
import { startHostNetwork, type HostNetwork, type LabHost } from "./host-namespaces.ts";
import { labControllerConfig, type GuestImage } from "./lab-config.ts";
import { startLabGitHub, type LabGitHub } from "./lab-emulator.ts";
import { cleanUpDomains, labJob, libvirtImage } from "./lab.ts";
import { findLeaks, leakCount } from "./leak-check.ts";
import { finalLine, hostOfRunner, reclaims, type ClaimFact, type HostFault, type MultiHostCounts, type MultiHostRow } from "./multi-host-report.ts";
import { startPostgresServer, type PostgresServer } from "./postgres-server.ts";
import { defaultImageDir, standInImage } from "./prerequisites.ts";

export interface MultiHostOptions {
  hosts: number;
  jobs: number;
  driver: "libvirt" | "memory";
  imageDir?: string;
  controllerCommand?: string[];
  /** A claim's lease; the cut-off lasts longer than this (default 5 s, the least the controller takes). */
  leaseSeconds?: number;
  say: (line: string) => void;
  progress?: (text: string) => void;
  signal: AbortSignal;
  keep?: boolean;
}

export interface MultiHostResult {
  rows: MultiHostRow[];
  counts: MultiHostCounts;
  faults: HostFault[];
  totalMs: number;
  stateDir: string;
  line: string;
  succeeded: boolean;
}

interface RunningHost {
  lab: LabHost;
  config: ControllerConfig;
  configFile: string;
  logFile: string;
  process?: ControllerProcess;
}

const namePrefix = "rf";

export async function runMultiHostLab(options: MultiHostOptions): Promise<MultiHostResult> {
  if (options.hosts < 3) throw new Error("the multi-host lab needs at least 3 hosts: one is killed, one is cut off, one carries on");
  const started = Date.now();
  const leaseSeconds = options.leaseSeconds ?? 5;
  const image = options.driver === "libvirt" ? await libvirtImage(options.imageDir ?? defaultImageDir) : undefined;
  const stateDir = await mkdtemp(join(tmpdir(), "runner-fleet-multihost-"));
  await chmod(stateDir, 0o711);
  const command = options.controllerCommand ?? [process.execPath, process.argv[1]!];
  let network: HostNetwork | undefined;
  let database: PostgresServer | undefined;
  let lab: LabGitHub | undefined;
  const hosts: RunningHost[] = [];
  try {
    network = await startHostNetwork(Array.from({ length: options.hosts }, (_, i) => `h${i + 1}`));
    database = await startPostgresServer({ listen: network.gateway, allow: [network.subnet] });
    // A job whose VM died with its host fails after this long, as GitHub's "lost communication".
    lab = await startLabGitHub({ driver: options.driver, host: network.gateway, emulator: { runnerLostAfterSeconds: 60 } });
    const emulator = lab.emulator;
    options.say(`network     ${network.subnet} on a bridge of this machine; hosts ${network.hosts.map((h) => `${h.name} ${h.address}`).join(", ")}`);
    options.say(`database    PostgreSQL on ${database.host}:${database.port} (private, data in ${database.dataDir})`);
    options.say(`emulator    ${emulator.url}`);

    const webhookSecret = randomBytes(24).toString("hex");
    const guestImage: GuestImage = image ?? (await standInImage(stateDir));
    for (const host of network.hosts) {
      const dir = join(stateDir, host.name);
      await mkdir(dir, { recursive: true, mode: 0o711 });
      const config = parseControllerConfig(
        labControllerConfig({
          driver: options.driver,
          emulator: lab.emulatorConfig,
          image: guestImage,
          network: lab.network,
          stateDir: join(dir, "state"),
          webhookSecret,
          adminToken: randomBytes(24).toString("hex"),
          pool: { min: 1, max: 2, vcpus: 1, memoryMiB: 768 },
          host: { vcpus: 2, memoryMiB: 2048 },
          name: host.name,
          listenHost: host.address,
          coordination: { postgres: { url: database.url, leaseSeconds, heartbeatSeconds: 1, statementTimeoutMs: 2000, poolSize: 2 } },
        }),
        `lab config for ${host.name}`,
      );
      const configFile = join(dir, "controller.json");
      await writeFile(configFile, JSON.stringify(config), { mode: 0o600 });
      hosts.push({ lab: host, config, configFile, logFile: join(dir, "controller.log") });
    }
    for (const host of hosts) {
      await startHost(host, command);
      emulator.addWebhook(`${host.process!.url}/webhook`, webhookSecret);
      options.say(`${host.lab.name.padEnd(12)}${host.process!.url}  (pid ${host.process!.pid}, netns ${host.lab.netns}; log ${host.logFile})`);
    }

    options.progress?.("waiting for the warm pool");
    await waitFor("a warm VM", 300_000, async () => (await idleVms(hosts)) > 0, options.signal);
    options.say(`warm pool   ready; queueing ${options.jobs} jobs at once`);
    const burstStart = Date.now();
    // Jobs outlast a lease: the hosts still running are busy when the faulted host's leases run
    // out, so its claims are taken over by claim, not absorbed by an idle runner elsewhere.
    const enqueued = Array.from({ length: options.jobs }, (_, i) => emulator.enqueueJob(labJob(i + 1, leaseSeconds + 3)));

    const claims = new pg.Pool({ connectionString: database.url, max: 1 });
    const faults: HostFault[] = [];
    try {
      // SIGKILL the host that holds the most claims whose jobs have not started: a crash mid-burst
      // that costs no running job, so what the fleet must do is take the claims over.
      options.progress?.("waiting for a host holding claims");
      const victim = await waitForHolder(claims, hosts, [], options.signal);
      faults.push({ host: victim.host.lab.name, kind: "killed", at: Date.now(), held: victim.held });
      await killController(victim.host.process!.child);
      options.say(`fault       SIGKILL ${victim.host.lab.name} holding ${victim.held.length} claim(s)`);

      // Then cut another host off the network for longer than a lease.
      options.progress?.("waiting for another host holding claims");
      const cut = await waitForHolder(claims, hosts, [victim.host], options.signal, 20_000).catch(() => undefined);
      const cutHost = cut?.host ?? hosts.find((h) => h !== victim.host)!;
      const cutMs = (2 * leaseSeconds + 2) * 1000;
      faults.push({ host: cutHost.lab.name, kind: "cut off", at: Date.now(), held: cut?.held ?? [] });
      await cutHost.lab.cut();
      options.say(`fault       ${cutHost.lab.name} cut off for ${cutMs / 1000} s (lease ${leaseSeconds} s) holding ${cut?.held.length ?? 0} claim(s)`);
      await sleep(cutMs, options.signal);
      await cutHost.lab.reconnect();
      options.say(`            ${cutHost.lab.name} reconnected`);

      await waitFor(`${options.jobs} jobs`, options.driver === "libvirt" ? 900_000 : 300_000, () => {
        const done = enqueued.filter((job) => emulator.job(job.jobId)?.status === "completed").length;
        options.progress?.(`jobs: ${done} of ${options.jobs} done`);
        return done === enqueued.length;
      }, options.signal);
      options.say(`burst       all ${options.jobs} jobs ended after ${((Date.now() - burstStart) / 1000).toFixed(1)} s; restarting ${victim.host.lab.name} to clean up after its crash`);

      // As systemd would: the crashed host comes back and cleans up what it left.
      await startHost(victim.host, command);
      emulator.addWebhook(`${victim.host.process!.url}/webhook`, webhookSecret);
      await sleep(2 * 5_000, options.signal);

      const statuses = await Promise.all(hosts.map((host) => fetchStatus(host.process!.url)));
      const claimFacts = await readClaims(claims);
      const names = hosts.map((h) => h.lab.name);
      const rows = enqueued.map((job) => jobRow(emulator.github.state.jobs.get(job.jobId)!, claimFacts, statuses, names));
      const duplicateVms = statuses.reduce((sum, status) => sum + unusedSince(status, burstStart), 0);

      options.progress?.("draining every host, then the leak check");
      for (const host of hosts) await stopController(host.process!.child, 120_000);
      let leaks = 0;
      for (const host of hosts) {
        const found = await findLeaks({
          prefix: ownerPrefix(host.config.namePrefix, host.config.host.name),
          stateDir: host.config.paths.state,
          hypervisor: hypervisorFor(host.config),
          github: gitHubFor(host.config),
        });
        if (leakCount(found) > 0) options.say(`leaks       ${host.lab.name}: ${JSON.stringify(found)}`);
        leaks += leakCount(found);
      }
      const counts: MultiHostCounts = {
        jobs: options.jobs,
        served: rows.filter((row) => row.conclusion === "success").length,
        duplicateVms,
        ...reclaims(faults, rows.map((row) => ({ jobId: row.jobId, host: row.host, startedAt: row.startedAt }))),
        leaks,
      };
      const line = finalLine(counts);
      return {
        rows,
        counts,
        faults,
        totalMs: Date.now() - started,
        stateDir,
        line,
        succeeded: counts.served === counts.jobs && counts.duplicateVms === 0 && counts.leaks === 0,
      };
    } finally {
      await claims.end();
    }
  } finally {
    for (const host of hosts) if (host.process) await stopController(host.process.child, 60_000);
    if (options.driver === "libvirt") for (const host of hosts) await cleanUpDomains(host.config);
    await lab?.close();
    await database?.destroy();
    await network?.close();
    if (!options.keep) await rm(stateDir, { recursive: true, force: true });
  }
}

async function startHost(host: RunningHost, command: readonly string[]): Promise<void> {
  host.process = await spawnController(command, host.configFile, host.logFile, process.env, host.lab.exec);
}

async function idleVms(hosts: readonly RunningHost[]): Promise<number> {
  const statuses = await Promise.all(hosts.map((host) => (host.process ? fetchStatus(host.process.url) : undefined)));
  return statuses.reduce((sum, status) => sum + (status?.vms.filter((vm) => vm.phase === "idle").length ?? 0), 0);
}

/**
 * The running host (not in `skip`) holding the most claims of jobs that have not started, once one
 * holds any while other jobs still wait unclaimed.
 */
async function waitForHolder(
  db: pg.Pool,
  hosts: readonly RunningHost[],
  skip: readonly RunningHost[],
  signal: AbortSignal,
  timeoutMs = 120_000,
): Promise<{ host: RunningHost; held: number[] }> {
  let found: { host: RunningHost; held: number[] } | undefined;
  await waitFor("a host holding claims in the database", timeoutMs, async () => {
    const result = await db
      .query<{ id: string; host: string | null; state: string }>(
        "SELECT id, host, state FROM jobs WHERE state = 'queued' OR (state = 'claimed' AND lease_expires > now())",
      )
      // No table yet: no controller has migrated the schema (yet).
      .catch((error: { code?: string }) => (error.code === "42P01" ? { rows: [] } : Promise.reject(error)));
    // Only while jobs wait unclaimed: the other hosts are busy, so no idle runner of theirs takes
    // the faulted host's jobs from GitHub's queue and its claims must be taken over.
    if (!result.rows.some((r) => r.state === "queued")) return false;
    const rows = result.rows.filter((r) => r.state === "claimed");
    const candidates = hosts
      .filter((h) => !skip.includes(h))
      .map((host) => ({ host, held: rows.filter((r) => r.host === host.lab.name).map((r) => Number(r.id)) }))
      .sort((a, b) => b.held.length - a.held.length);
    found = candidates[0]?.held.length ? candidates[0] : undefined;
    return found !== undefined;
  }, signal, 50);
  return found!;
}

async function readClaims(db: pg.Pool): Promise<ClaimFact[]> {
  const { rows } = await db.query<{ id: string; host: string | null; token: string }>("SELECT id, host, token FROM jobs");
  return rows.map((r) => ({ jobId: Number(r.id), host: r.host, token: Number(r.token) }));
}

type EmulatedJob = { id: number; name: string; runnerName: string | null; conclusion: string | null; status: string; startedAt: number | null };

function jobRow(job: EmulatedJob, claims: readonly ClaimFact[], statuses: readonly (StatusDocument | undefined)[], hosts: readonly string[]): MultiHostRow {
  const entry = statuses.flatMap((s) => s?.recentJobs ?? []).find((e) => e.name === job.runnerName);
  return {
    job: job.name,
    jobId: job.id,
    host: hostOfRunner(job.runnerName, namePrefix, hosts),
    claims: claims.find((c) => c.jobId === job.id)?.token ?? 0,
    conclusion: job.conclusion ?? job.status,
    startedAt: job.startedAt ?? undefined,
    phasesMs: entry?.phasesMs ?? {},
  };
}

/** Ends of a VM without a job that are no one's second VM: the warm pool shrinking, a drain, a shutdown. */
const sparesEnds = new Set(["scale_down", "drain", "shutdown"]);

/**
 * VMs a host started since the burst began that ended `unused` (ran no job, did not fail) for a
 * reason other than the pool shrinking: a second VM for a job (e.g. its claim was lost to another host).
 */
function unusedSince(status: StatusDocument | undefined, since: number): number {
  return (status?.recentJobs ?? []).filter(
    (entry) => entry.outcome === "unused" && entry.times.started !== undefined && entry.times.requested >= since && !sparesEnds.has(entry.reason),
  ).length;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new Error("interrupted"));
    }, { once: true });
  });
}
