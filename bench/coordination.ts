/**
 * What coordinating hosts through PostgreSQL costs (docs/coordination.md). In-process
 * controllers with the memory driver (guests run the real agent, no QEMU), so the figures are
 * the coordination's own cost, not boot times; a private PostgreSQL 15 (runtime/lab/postgres-server.ts):
 *   claim latency        job recorded in the database → claimed by a host (the jobs table's own clock)
 *   extra pickup         queued → handed out to a runner, 3 coordinated hosts vs 1 host alone (same burst)
 *   reclaim              a host claims jobs and dies → another host claims them (lease + up to one heartbeat)
 *   queries per job      statements the 3 hosts sent during the burst / jobs (heartbeats included)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import pino from "pino";
import { parseControllerConfig } from "../runtime/config/controller-config.ts";
import { startController, type RunningController } from "../runtime/controller/daemon.ts";
import { PostgresCoordination } from "../runtime/coordination/postgres-coordination.ts";
import type { Emulator } from "../runtime/emulator/server.ts";
import { runsGuestAgent } from "../runtime/hypervisor/memory/guest-behaviours.ts";
import { createMemoryHypervisor, type MemoryHypervisor } from "../runtime/hypervisor/memory/memory-hypervisor.ts";
import { labControllerConfig, labLabels } from "../runtime/lab/lab-config.ts";
import { startLabGitHub } from "../runtime/lab/lab-emulator.ts";
import { startPostgresServer, type PostgresServer } from "../runtime/lab/postgres-server.ts";
import { standInImage } from "../runtime/lab/prerequisites.ts";
import { percentile } from "../runtime/observability/percentiles.ts";

export interface CoordinationFigures {
  coordination_claim_latency_p95_ms: number | null;
  coordination_pickup_p95_one_host_ms: number | null;
  coordination_pickup_p95_three_hosts_ms: number | null;
  coordination_extra_pickup_p95_ms: number | null;
  coordination_reclaim_s: number | null;
  coordination_lease_s: number;
  coordination_queries_per_job: number | null;
  coordination_queries_by_call: Record<string, number>;
}

const burstJobs = 20;
const singleJobs = 5;
const leaseSeconds = 10;
const heartbeatSeconds = 1;

export async function benchCoordination(say: (line: string) => void): Promise<CoordinationFigures | undefined> {
  let server: PostgresServer;
  try {
    server = await startPostgresServer();
  } catch (error) {
    say(`coordination                        skipped: no private PostgreSQL (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`);
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), "rf-bench-coord-"));
  try {
    const alone = await runBurst(dir, "alone", 1, undefined);
    const fleet = await runBurst(dir, "fleet", 3, server);
    const extra = fleet.singleP95 - alone.singleP95;
    say("");
    say(`coordination (3 in-process hosts, memory driver: the coordination's cost only; private PostgreSQL 15; lease ${leaseSeconds} s, heartbeat ${heartbeatSeconds} s)`);
    say(`  claim latency, recorded → claimed     p50 ${fmt(fleet.claimP50)}   p95 ${fmt(fleet.claimP95)}   n=${fleet.claims} (first claims; ${fleet.reclaims} jobs were given back and claimed again, most because their VM took another job)`);
    say(`  pickup, one job at a time (×${singleJobs})     1 host p95 ${fmt(alone.singleP95)}   3 hosts p95 ${fmt(fleet.singleP95)}   extra ${fmt(extra)}`);
    say(`  pickup, ${burstJobs} jobs at once            1 host p95 ${fmt(alone.pickupP95)}   3 hosts p95 ${fmt(fleet.pickupP95)}   (3 hosts provision in parallel: not the coordination's cost)`);
    say(`  reclaim after a host died            ${fleet.reclaimMs === undefined ? "-" : `${(fleet.reclaimMs / 1000).toFixed(1)} s`}   (lease ${leaseSeconds} s + up to one heartbeat; default lease 30 s)`);
    say(`  database statements per job         ${fleet.queriesPerJob.toFixed(1)}   (${fleet.queries} over ${(fleet.durationMs / 1000).toFixed(0)} s of the burst, 3 hosts, heartbeats and renewals included)`);
    say(`    by call, per job                  ${Object.entries(fleet.byCall).map(([call, n]) => `${call} ${n}`).join(", ")}`);
    return {
      coordination_claim_latency_p95_ms: round(fleet.claimP95),
      coordination_pickup_p95_one_host_ms: round(alone.pickupP95),
      coordination_pickup_p95_three_hosts_ms: round(fleet.pickupP95),
      coordination_extra_pickup_p95_ms: round(extra),
      coordination_reclaim_s: fleet.reclaimMs === undefined ? null : Number((fleet.reclaimMs / 1000).toFixed(1)),
      coordination_lease_s: leaseSeconds,
      coordination_queries_per_job: Number(fleet.queriesPerJob.toFixed(1)),
      coordination_queries_by_call: fleet.byCall,
    };
  } finally {
    await server.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

interface BurstResult {
  pickupP95: number;
  singleP95: number;
  byCall: Record<string, number>;
  claimP50: number;
  claimP95: number;
  claims: number;
  reclaims: number;
  queries: number;
  queriesPerJob: number;
  durationMs: number;
  reclaimMs?: number;
}

async function runBurst(root: string, name: string, hosts: number, server: PostgresServer | undefined): Promise<BurstResult> {
  const github = await startLabGitHub({ driver: "memory" });
  const url = server ? await freshDatabase(server, name) : undefined;
  const coordinations: PostgresCoordination[] = [];
  const controllers: RunningController[] = [];
  const hypervisors: MemoryHypervisor[] = [];
  const logger = pino({ level: "silent" });
  try {
    const image = await standInImage(await mkdtemp(join(root, `${name}-image-`)));
    for (let i = 1; i <= hosts; i++) {
      const stateDir = await mkdtemp(join(root, `${name}-h${i}-`));
      const coordination = url ? { postgres: { url, leaseSeconds, heartbeatSeconds, statementTimeoutMs: 5000, poolSize: 4 } } : undefined;
      const config = parseControllerConfig(
        labControllerConfig({
          driver: "memory",
          emulator: github.emulatorConfig,
          image,
          network: github.network,
          stateDir,
          webhookSecret: "bench-webhook-secret-0123456789",
          adminToken: "bench-admin-token-0123456789abcdef",
          pool: { min: 0, max: burstJobs, vcpus: 1, memoryMiB: 256 },
          host: { vcpus: Math.ceil(burstJobs / hosts) + 1, memoryMiB: 256 * (Math.ceil(burstJobs / hosts) + 1) },
          name: `h${i}`,
          ...(coordination ? { coordination } : {}),
        }),
      );
      const shared = coordination ? await PostgresCoordination.open(coordination.postgres) : undefined;
      if (shared) coordinations.push(shared);
      const hypervisor = createMemoryHypervisor({ guest: runsGuestAgent({ pollWaitSeconds: 1 }) });
      hypervisors.push(hypervisor);
      const controller = await startController({
        config,
        logger,
        hypervisor,
        ...(shared ? { coordination: shared } : {}),
      });
      github.emulator.addWebhook(`${controller.url}/webhook`, "bench-webhook-secret-0123456789");
      controllers.push(controller);
    }
    // Let every host write a heartbeat first: the fleet's shares need one read.
    await sleep(2 * heartbeatSeconds * 1000);
    const enqueue = (i: number) =>
      github.emulator.enqueueJob({
        repository: "acme/app",
        labels: labLabels,
        jobName: `bench-${i}`,
        steps: [{ name: "work", run: "sleep 1" }],
        event: { name: "pull_request", sender: { login: "octocat", type: "User" }, pullRequest: { number: i + 1, authorAssociation: "MEMBER" } },
      });
    const singles: number[] = [];
    for (let i = 0; i < singleJobs; i++) {
      const job = enqueue(100 + i);
      await until(() => github.emulator.job(job.jobId)?.status === "completed", 60_000);
      singles.push(pickupMs(github.emulator, job.jobId));
    }
    const queriesBefore = total(coordinations);
    const byCallBefore = byCall(coordinations);
    const started = Date.now();
    const jobs = Array.from({ length: burstJobs }, (_, i) => enqueue(i));
    await until(() => jobs.every((j) => github.emulator.job(j.jobId)?.status === "completed"), 120_000).catch((error: unknown) => {
      const statuses = jobs.map((j) => github.emulator.job(j.jobId)?.status);
      const vms = controllers.map((c) => c.reconciler.lastResult()?.status.vms.map((vm) => vm.phase).join(","));
      throw new Error(`${name}: ${(error as Error).message}; jobs ${statuses.join(",")}; VMs ${vms.join(" | ")}; ${controllers.map((c) => JSON.stringify(c.reconciler.lastResult()?.status.fleet ?? c.reconciler.lastResult()?.status.controller.lastError)).join(" ")}`);
    });
    const durationMs = Date.now() - started;
    const queries = total(coordinations) - queriesBefore;
    const calls = Object.fromEntries([...byCall(coordinations)].map(([call, n]) => [call, Number(((n - (byCallBefore.get(call) ?? 0)) / burstJobs).toFixed(2))]));
    const pickups = jobs.map((j) => pickupMs(github.emulator, j.jobId));
    const claims = url ? await claimLatencies(url, "token = 1") : [];
    const reclaims = url ? (await claimLatencies(url, "token > 1")).length : 0;
    const reclaimMs = url ? await measureReclaim(url) : undefined;
    return {
      pickupP95: percentile(pickups, 95) ?? NaN,
      singleP95: percentile(singles, 95) ?? NaN,
      byCall: calls,
      claimP50: percentile(claims, 50) ?? NaN,
      claimP95: percentile(claims, 95) ?? NaN,
      claims: claims.length,
      reclaims,
      queries,
      queriesPerJob: queries / burstJobs,
      durationMs,
      ...(reclaimMs === undefined ? {} : { reclaimMs }),
    };
  } finally {
    for (const controller of controllers) await controller.abandon();
    for (const hypervisor of hypervisors) {
      for (const domain of await hypervisor.listDomains("")) await hypervisor.destroyDomain(domain.name);
      await hypervisor.settled();
    }
    for (const c of coordinations) await c.close();
    await github.close();
  }
}

/** A host claims jobs and dies (never renews): how long until another host holds them. */
async function measureReclaim(url: string): Promise<number | undefined> {
  const dead = await PostgresCoordination.open({ url, leaseSeconds, heartbeatSeconds, statementTimeoutMs: 5000, poolSize: 1 });
  try {
    const ids = [990_000_001, 990_000_002];
    await dead.recordQueued(ids.map((id) => ({ id, runId: id, repository: "acme/app", labels: labLabels, queuedAt: Date.now() })));
    const claimed = await dead.claim("h-dead", [{ labels: labLabels, count: ids.length }]);
    if (claimed.length !== ids.length) return undefined;
    const diedAt = Date.now();
    await until(async () => (await query(url, "SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND host <> 'h-dead'", [ids]))[0]!.n === ids.length, 3 * leaseSeconds * 1000);
    const rows = await query(url, `SELECT max(extract(epoch from claimed_at) * 1000)::float8 AS at FROM jobs WHERE id = ANY($1)`, [ids]);
    return Number(rows[0]!.at) - diedAt;
  } finally {
    await dead.close();
  }
}

/** `which`: `token = 1`, jobs claimed once (their claim is their first), or `token > 1`. */
async function claimLatencies(url: string, which: "token = 1" | "token > 1"): Promise<number[]> {
  const rows = await query(url, `SELECT (extract(epoch from claimed_at - recorded_at) * 1000)::float8 AS ms FROM jobs WHERE claimed_at IS NOT NULL AND run_id <> 0 AND ${which}`);
  return rows.map((r) => Number(r.ms));
}

function pickupMs(emulator: Emulator, jobId: number): number {
  const job = emulator.job(jobId)!;
  return Date.parse(job.startedAt!) - Date.parse(job.createdAt);
}

async function freshDatabase(server: PostgresServer, name: string): Promise<string> {
  await query(server.url, `CREATE DATABASE bench_${name}`);
  return server.url.replace(/\/[^/]+$/, `/bench_${name}`);
}

async function query(url: string, text: string, values?: unknown[]): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("coordination bench: timed out");
    await sleep(50);
  }
}

function byCall(cs: readonly PostgresCoordination[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const c of cs) for (const [call, n] of c.queriesByCall) sums.set(call, (sums.get(call) ?? 0) + n);
  return sums;
}

const total = (cs: readonly PostgresCoordination[]) => cs.reduce((sum, c) => sum + c.queries, 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number) => (Number.isFinite(value) ? Math.round(value) : null);
const fmt = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : "-");
