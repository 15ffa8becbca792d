/**
 * The status and inventory documents: what the controller serves on /status and /inventory and
 * writes (atomically) to its configured paths after every reconcile pass. The operator CLI,
 * the guard and the canary report read these; their shapes are versioned.
 */
import type { FleetView } from "./fleet-link.ts";
import type { CacheSizes } from "../caches/cache-store.ts";
import { cacheStatus, type CacheStatus } from "./cache-status.ts";
import type { ControllerConfig } from "../config/controller-config.ts";
import { poolTarget } from "../config/controller-config.ts";
import { poolSizingSettings } from "../config/pool-sizing-shape.ts";
import type { AdaptiveTarget } from "./pool-sizing/adaptive-target.ts";
import type { RateLimitInfo, RunnerInfo } from "../ports/github.ts";
import type { DomainInfo, VolumeInfo } from "../ports/hypervisor.ts";
import type { Resources } from "./host-budget.ts";
import { factsStatus, type FactsStatus, type HostHardware } from "./host-admission.ts";
import { guestArch, isEmulated } from "./vm-shape.ts";
import { controllerOverheadMs, phaseDurations, queueWaitMs, type Phase } from "./phase-durations.ts";
import type { PoolPlan } from "./plan.ts";
import type { HistoryEntry, JobRef, VmPhase, VmRecord, VmTimes } from "./vm-record.ts";

export const statusVersion = 1;
const recentLimit = 50;

export interface ControllerHealth {
  startedAt: number;
  lastPassAt: number | undefined;
  lastPassOk: boolean;
  lastError: string | undefined;
  /** Last time GitHub answered a call. */
  githubOkAt: number | undefined;
  rateLimit: RateLimitInfo | undefined;
  drainingSince: number | undefined;
  shuttingDownSince: number | undefined;
  /** Problems with the host's setup found at start (e.g. the runner group), named for an operator. */
  setupProblems: string[];
}

export interface VmStatus {
  name: string;
  pool: string;
  phase: VmPhase;
  runnerId?: number;
  times: VmTimes;
  job?: JobRef;
}

export interface JobStatus extends HistoryEntry {
  phasesMs: Partial<Record<Phase, number>>;
  queueWaitMs?: number;
  overheadMs?: number;
}

export interface StatusDocument {
  version: typeof statusVersion;
  host: string;
  generatedAt: string;
  /** A coordinated fleet's view: every host's heartbeat and the coordinator's problem, if any (docs/coordination.md). */
  fleet?: FleetView;
  controller: {
    startedAt: string;
    lastPassAt: string | null;
    lastPassOk: boolean;
    lastError: string | null;
    githubOkAt: string | null;
    rateLimit: RateLimitInfo | null;
    draining: boolean;
    drainingSince: string | null;
    shuttingDown: boolean;
    setupProblems: string[];
  };
  pools: {
    name: string;
    labels: string[];
    min: number;
    max: number;
    /** The warm target in force: configured (`fixed`), or computed from demand (`adaptive`). */
    target: number;
    /** Absent in documents of controllers older than adaptive sizing. */
    sizing?: "fixed" | "adaptive";
    /** Adaptive pools: the demand the target was computed for, and the modelled chance of a cold start. */
    adaptive?: { jobsPerHour: number; coldStartChance: number; quiet: boolean } | null;
    desired: number;
    queued: number;
    counts: PoolPlan["counts"];
    consecutiveFailures: number;
    backoffUntil: string | null;
    held: string | null;
    /** The guest arch, and whether this host runs it emulated (TCG) rather than natively (absent from older controllers). */
    arch?: "x86_64" | "aarch64";
    emulated?: boolean;
  }[];
  /** Pools this host cannot hold (hardware requirements or shapes), with every reason. */
  refusedPools?: { name: string; problems: string[] }[];
  capacity: {
    vcpus: { budget: number; used: number };
    memoryMiB: { budget: number; used: number };
    hugepagesMiB?: { budget: number; used: number };
    diskGiB?: { budget: number; used: number };
  };
  /** The host's hardware as read at start; null when not read. */
  hostFacts?: FactsStatus | null;
  vms: VmStatus[];
  recentJobs: JobStatus[];
  /** Failure reasons over the recent history window. */
  failures: Record<string, number>;
  /** Dependency caches (docs/caches.md); absent when no pool has any. */
  caches?: CacheStatus[];
}

export interface InventoryDocument {
  version: typeof statusVersion;
  host: string;
  generatedAt: string;
  domains: { name: string; state: string; pool: string | null }[];
  overlays: VolumeInfo[];
  secrets: string[];
  /** Null when GitHub could not be read. */
  runners: Pick<RunnerInfo, "id" | "name" | "status" | "busy">[] | null;
  records: string[];
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export function buildStatus(input: {
  config: ControllerConfig;
  now: number;
  health: ControllerHealth;
  pools: readonly PoolPlan[];
  used: Resources;
  records: readonly VmRecord[];
  history: readonly HistoryEntry[];
  hardware?: HostHardware;
  cacheSizes?: (pool: string, cache: string) => CacheSizes | undefined;
}): StatusDocument {
  const { config, health } = input;
  const byName = new Map(input.pools.map((p) => [p.pool, p]));
  const recent = input.history.slice(-recentLimit);
  const failures: Record<string, number> = {};
  for (const entry of recent) if (entry.outcome === "lost") failures[entry.reason] = (failures[entry.reason] ?? 0) + 1;
  return {
    version: statusVersion,
    host: config.host.name,
    generatedAt: new Date(input.now).toISOString(),
    controller: {
      startedAt: new Date(health.startedAt).toISOString(),
      lastPassAt: iso(health.lastPassAt),
      lastPassOk: health.lastPassOk,
      lastError: health.lastError ?? null,
      githubOkAt: iso(health.githubOkAt),
      rateLimit: health.rateLimit ?? null,
      draining: health.drainingSince !== undefined,
      drainingSince: iso(health.drainingSince),
      shuttingDown: health.shuttingDownSince !== undefined,
      setupProblems: health.setupProblems,
    },
    pools: config.pools.map((pool) => {
      const plan = byName.get(pool.name);
      return {
        name: pool.name,
        labels: pool.labels,
        min: pool.min,
        max: pool.max,
        target: plan?.warm.target ?? poolTarget(pool),
        sizing: plan?.warm.sizing ?? poolSizingSettings(pool).sizing,
        adaptive: adaptiveSummary(plan?.warm.adaptive),
        desired: plan?.desired ?? 0,
        queued: plan?.queued ?? 0,
        counts: plan?.counts ?? { provisioning: 0, booting: 0, idle: 0, busy: 0 },
        consecutiveFailures: plan?.consecutiveFailures ?? 0,
        backoffUntil: iso(plan?.backoffUntil),
        held: plan?.held ?? null,
        arch: guestArch(pool),
        emulated: input.hardware ? isEmulated(pool, input.hardware.facts.arch) : false,
      };
    }),
    refusedPools: (input.hardware?.refused ?? []).map((r) => ({ name: r.pool, problems: r.problems })),
    capacity: {
      vcpus: { budget: config.host.vcpus, used: input.used.vcpus },
      memoryMiB: { budget: config.host.memoryMiB, used: input.used.memoryMiB },
      ...(config.host.hugepagesMiB !== undefined ? { hugepagesMiB: { budget: config.host.hugepagesMiB, used: input.used.hugepagesMiB ?? 0 } } : {}),
      ...(config.host.diskGiB !== undefined ? { diskGiB: { budget: config.host.diskGiB, used: input.used.diskGiB ?? 0 } } : {}),
    },
    hostFacts: input.hardware ? factsStatus(input.hardware.facts) : null,
    vms: input.records.map((r) => {
      const vm: VmStatus = { name: r.name, pool: r.pool, phase: r.phase, times: r.times };
      if (r.runnerId !== undefined) vm.runnerId = r.runnerId;
      if (r.job) vm.job = r.job;
      return vm;
    }),
    recentJobs: recent.map(jobStatus),
    failures,
    ...(input.cacheSizes ? { caches: cacheStatus(config.pools, recent, input.cacheSizes) } : {}),
  };
}

function adaptiveSummary(adaptive: AdaptiveTarget | undefined): { jobsPerHour: number; coldStartChance: number; quiet: boolean } | null {
  if (!adaptive) return null;
  return { jobsPerHour: Number(adaptive.jobsPerHour.toFixed(2)), coldStartChance: Number(adaptive.coldStartChance.toFixed(4)), quiet: adaptive.quiet };
}

export function jobStatus(entry: HistoryEntry): JobStatus {
  const status: JobStatus = { ...entry, phasesMs: phaseDurations(entry.times) };
  const wait = queueWaitMs(entry.times, entry.job);
  if (wait !== undefined) status.queueWaitMs = wait;
  const overhead = controllerOverheadMs(entry.times);
  if (overhead !== undefined) status.overheadMs = overhead;
  return status;
}

export function buildInventory(input: {
  host: string;
  now: number;
  domains: readonly DomainInfo[];
  overlays: readonly VolumeInfo[];
  secrets: readonly string[];
  runners: readonly RunnerInfo[] | undefined;
  records: readonly VmRecord[];
}): InventoryDocument {
  return {
    version: statusVersion,
    host: input.host,
    generatedAt: new Date(input.now).toISOString(),
    domains: input.domains.map((d) => ({ name: d.name, state: d.state, pool: d.metadata?.pool ?? null })),
    overlays: [...input.overlays],
    secrets: [...input.secrets],
    runners: input.runners ? input.runners.map(({ id, name, status, busy }) => ({ id, name, status, busy })) : null,
    records: input.records.map((r) => r.name),
  };
}
