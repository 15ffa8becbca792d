/**
 * The reconcile decision: from one observation of the world to the list of actions that make
 * it match the desired state. Pure: same observation in, same plan out. The reconciler only
 * observes, calls this, and executes the actions (each of which is idempotent).
 */
import type { ControllerConfig, PoolConfig } from "../config/controller-config.ts";
import type { DomainInfo, VolumeInfo } from "../ports/hypervisor.ts";
import type { RunnerInfo } from "../ports/github.ts";
import type { ConsoleMarks } from "./console-marks.ts";
import { demandByPool, type QueuedJob } from "./demand.ts";
import { claimedJobIds, planClaims } from "./claim-plan.ts";
import { nameOfFile } from "./naming.ts";
import { add, fits, usage, type Resources } from "./host-budget.ts";
import { poolSizingSettings } from "../config/pool-sizing-shape.ts";
import { scaleDownCandidates, sizePool, type PoolCounts, type PoolSizing } from "./pool-policy.ts";
import { poolDemand } from "./pool-sizing/pool-demand.ts";
import { warmTarget, type WarmTarget } from "./pool-sizing/warm-target.ts";
import { provisionNoticedAt } from "./provision-trigger.ts";
import { backoffUntil, consecutiveFailures } from "./retry-policy.ts";
import { advanceVm, type JobAssignment, type VmTiming } from "./vm-lifecycle.ts";
import type { HistoryEntry, TeardownReason, VmRecord } from "./vm-record.ts";

export interface Observation {
  now: number;
  records: VmRecord[];
  domains: DomainInfo[];
  /** When libvirt answered the domain listing. */
  domainsSeenAt: number;
  /** Undefined when GitHub's runner list was not read this pass. */
  runners: RunnerInfo[] | undefined;
  consoles: ReadonlyMap<string, ConsoleMarks>;
  overlays: VolumeInfo[];
  secrets: string[];
  queued: QueuedJob[];
  assignments: ReadonlyMap<string, JobAssignment>;
  history: readonly HistoryEntry[];
  /** Epoch ms the host started draining (persisted), or undefined. */
  drainingSince: number | undefined;
  /** Epoch ms SIGTERM arrived, or undefined. */
  shuttingDownSince: number | undefined;
  inFlight: ReadonlySet<string>;
  /** Queued jobs the trust check has judged and not refused: the only ones an on-claim VM may take. */
  clearedJobs?: ReadonlySet<number>;
}

export type Action =
  /** `noticedAt`: when the controller learned of the need this VM fills (`provision-trigger.ts`). */
  | { kind: "provision"; pool: string; noticedAt: number }
  /** `voluntary`: the VM is healthy and idle; deregister first and keep it if it just took a job. */
  | { kind: "teardown"; name: string; reason: TeardownReason; detail: string; voluntary: boolean; headSha?: string }
  | { kind: "deleteRunner"; id: number; name: string }
  /** Request the claimed job's JIT config and hand it to the VM (`claim.ts`); the record says which job. */
  | { kind: "claim"; name: string }
  | { kind: "removeOverlay"; path: string }
  | { kind: "removeSecret"; path: string };

export interface PoolPlan extends PoolSizing {
  pool: string;
  /** The warm target in force, and how it was set. */
  warm: WarmTarget;
  counts: PoolCounts;
  queued: number;
  backoffUntil?: number;
  consecutiveFailures: number;
  /** Why fewer VMs than `provision` are started, if so. */
  held?: "draining" | "shutting_down" | "backoff" | "host_budget";
}

export interface Plan {
  /** Records whose phase, times or job changed: persist before acting. */
  updates: VmRecord[];
  actions: Action[];
  pools: PoolPlan[];
  used: Resources;
}

export interface PlanSettings {
  config: ControllerConfig;
  timing: VmTiming;
  peers: readonly string[];
  peerFallbackMs: number;
  /** Predicate: is this name (domain, runner, file stem) owned by this controller? */
  owns: (name: string) => boolean;
}

export function planReconcile(obs: Observation, settings: PlanSettings): Plan {
  const { config } = settings;
  const now = obs.now;
  const actions: Action[] = [];
  const updates: VmRecord[] = [];
  const domains = new Map(obs.domains.map((d) => [d.name, d]));
  const runners = new Map((obs.runners ?? []).map((r) => [r.name, r]));
  const known = new Set(obs.records.map((r) => r.name));

  // 1. Each VM we have a record of moves forward or is torn down.
  const live: VmRecord[] = [];
  const leaving = new Set<string>();
  for (const original of obs.records) {
    const step = advanceVm(
      {
        record: original,
        domain: domains.get(original.name),
        runner: runners.get(original.name),
        marks: obs.consoles.get(original.name) ?? { listening: false },
        assignment: obs.assignments.get(original.name),
        inFlight: obs.inFlight.has(original.name),
        domainSeenAt: obs.domainsSeenAt,
      },
      now,
      settings.timing,
    );
    if (JSON.stringify(step.record) !== JSON.stringify(original)) updates.push(step.record);
    if (step.teardown) {
      actions.push({ kind: "teardown", name: original.name, ...step.teardown, voluntary: false });
      leaving.add(original.name);
    } else if (step.record.phase !== "tearing-down") {
      live.push(step.record);
    }
  }

  // 2. Draining or shutting down: VMs without a job go now, busy ones after the grace period.
  const stopSince = obs.shuttingDownSince ?? obs.drainingSince;
  if (stopSince !== undefined) {
    const reason: TeardownReason = obs.shuttingDownSince !== undefined ? "shutdown" : "drain";
    const graceOver = now - stopSince >= config.timing.drainGraceSeconds * 1000;
    for (const vm of live) {
      if (obs.inFlight.has(vm.name) || leaving.has(vm.name)) continue;
      if ((vm.phase === "busy" || vm.phase === "claimed") && !graceOver) continue;
      actions.push({
        kind: "teardown",
        name: vm.name,
        reason,
        detail: vm.phase === "busy" ? "drain grace period ended" : "host is draining",
        voluntary: vm.phase === "idle",
      });
      leaving.add(vm.name);
    }
  }

  // 3. Pools: size each against its demand, within the retry backoff and the host budget.
  let staying = live.filter((vm) => !leaving.has(vm.name));
  const claimed = claimedJobIds(obs.records);
  const demand = demandByPool(obs.queued.filter((job) => !claimed.has(job.id)), config.pools, {
    self: config.host.name,
    peers: settings.peers,
    now,
    peerFallbackMs: settings.peerFallbackMs,
  });
  if (stopSince === undefined) staying = claimJobs(staying, demand, obs, config, updates, actions);
  // VMs being torn down still hold their resources until they are gone: count every record.
  let used = usage(config.pools, obs.records.map((r) => r.pool));
  const pools: PoolPlan[] = [];
  // Pools furthest below their warm floor get capacity first.
  const ordered = [...config.pools].sort(
    (a, b) => floorDeficit(b, staying) - floorDeficit(a, staying) || a.name.localeCompare(b.name),
  );
  for (const pool of ordered) {
    const members = staying.filter((vm) => vm.pool === pool.name);
    const counts = countPhases(members);
    const jobs = demand.get(pool.name) ?? [];
    const takenUnseen = members.filter(tookUnknownJob).length;
    const queued = Math.max(0, jobs.length - takenUnseen);
    const warm = warmTarget(pool, () => poolDemand(pool.name, obs.history, obs.records, jobs), now);
    const sizing = withHandoverHeld(sizePool(pool, counts, queued, warm.target), pool, counts, queued, warm.target, members);
    const failures = consecutiveFailures(obs.history, pool.name);
    const until = backoffUntil(failures, now);
    const plan: PoolPlan = { pool: pool.name, warm, counts, queued, ...sizing, consecutiveFailures: failures.count };
    if (until !== undefined) plan.backoffUntil = until;

    const held = holdReason(obs, until);
    if (held && sizing.provision > 0) plan.held = held;
    else {
      const noticed = provisionNoticedAt({
        queuedSeenAt: jobs.map((job) => job.seenAt),
        spare: counts.provisioning + counts.booting + counts.idle + takenUnseen,
        busySeenAt: members.filter((vm) => vm.phase === "busy").map((vm) => busySeenAt(vm, obs.assignments.get(vm.name))),
        count: sizing.provision,
        now,
      });
      for (let i = 0; i < sizing.provision; i++) {
        if (!fits(used, pool, config.host)) {
          plan.held = "host_budget";
          break;
        }
        used = add(used, pool);
        actions.push({ kind: "provision", pool: pool.name, noticedAt: noticed[i]! });
      }
    }

    if (stopSince === undefined) {
      for (const vm of scaleDownCandidates(members, sizing.surplusIdle, now, poolSizingSettings(pool).idleTimeoutMs)) {
        actions.push({ kind: "teardown", name: vm.name, reason: "scale_down", detail: "more idle runners than the pool needs", voluntary: true });
      }
    }
    pools.push(plan);
  }
  pools.sort((a, b) => a.pool.localeCompare(b.pool));

  // 4. Leftovers with no record: domains, registrations, overlays and secrets.
  for (const domain of obs.domains) {
    if (!known.has(domain.name) && settings.owns(domain.name) && !obs.inFlight.has(domain.name)) {
      actions.push({ kind: "teardown", name: domain.name, reason: "orphan", detail: "domain without a record", voluntary: false });
    }
  }
  for (const runner of obs.runners ?? []) {
    // A busy registration cannot be deleted; GitHub releases it once it gives up on the job.
    if (runner.busy) continue;
    if (!known.has(runner.name) && !domains.has(runner.name) && settings.owns(runner.name) && !obs.inFlight.has(runner.name)) {
      actions.push({ kind: "deleteRunner", id: runner.id, name: runner.name });
    }
  }
  for (const overlay of obs.overlays) {
    const name = nameOfFile(overlay.path);
    if (!known.has(name) && !domains.has(name) && !obs.inFlight.has(name)) actions.push({ kind: "removeOverlay", path: overlay.path });
  }
  // A JIT config file is needed only while its VM is being provisioned: one left by a crash
  // after the start (its VM adopted) goes now, not with the VM's teardown at the job's end.
  for (const secret of obs.secrets) {
    if (!obs.inFlight.has(nameOfFile(secret))) actions.push({ kind: "removeSecret", path: secret });
  }

  return { updates, actions, pools, used };
}

/** When the controller first saw a VM take its job: the webhook or poll, or the pass that read its console. */
function busySeenAt(vm: VmRecord, assignment: JobAssignment | undefined): number {
  const assigned = vm.times.assigned ?? vm.times.requested;
  return assignment?.noticedAt === undefined ? assigned : Math.min(assignment.noticedAt, assigned);
}

/**
 * A VM seen busy on its console before GitHub (webhook or poll) said which job it took: that
 * job is most likely still counted as queued, and must not get a VM of its own.
 */
function tookUnknownJob(vm: VmRecord): boolean {
  return vm.phase === "busy" && vm.job?.id === undefined && vm.claimedJob === undefined;
}

/**
 * Gives waiting VMs their jobs (`claim-plan.ts`): records and actions for each claim, the jobs
 * taken out of the demand. Returns the staying VMs with the claimed ones updated.
 */
function claimJobs(staying: VmRecord[], demand: Map<string, QueuedJob[]>, obs: Observation, config: ControllerConfig, updates: VmRecord[], actions: Action[]): VmRecord[] {
  const claims = planClaims({
    vms: staying.filter((vm) => !obs.inFlight.has(vm.name)),
    demand,
    pools: config.pools,
    cleared: obs.clearedJobs ?? new Set(),
    now: obs.now,
  });
  if (claims.length === 0) return staying;
  const byName = new Map(claims.map((claim) => [claim.record.name, claim.record]));
  const taken = new Set(claims.map((claim) => claim.job.id));
  for (const [pool, jobs] of demand) demand.set(pool, jobs.filter((job) => !taken.has(job.id)));
  for (const claim of claims) {
    const earlier = updates.findIndex((record) => record.name === claim.record.name);
    if (earlier === -1) updates.push(claim.record);
    else updates[earlier] = claim.record;
    actions.push({ kind: "claim", name: claim.record.name });
  }
  return staying.map((vm) => byName.get(vm.name) ?? vm);
}

/**
 * The replacement of a VM being handed its job (`claimed`) starts once its runner took the job:
 * a boot is CPU-heavy (under TCG it takes a core for seconds) and would slow the handover. Only
 * the warm target waits; queued jobs still start their VMs at once, and nothing is scaled down.
 */
function withHandoverHeld(sizing: PoolSizing, pool: PoolConfig, counts: PoolCounts, queued: number, target: number, members: readonly VmRecord[]): PoolSizing {
  const handingOver = members.filter((vm) => vm.phase === "claimed").length;
  if (handingOver === 0) return sizing;
  return { ...sizing, provision: sizePool(pool, counts, queued, Math.max(0, target - handingOver)).provision };
}

function holdReason(obs: Observation, backoff: number | undefined): PoolPlan["held"] {
  if (obs.shuttingDownSince !== undefined) return "shutting_down";
  if (obs.drainingSince !== undefined) return "draining";
  if (backoff !== undefined) return "backoff";
  return undefined;
}

export function countPhases(vms: readonly VmRecord[]): PoolCounts {
  const counts: PoolCounts = { provisioning: 0, booting: 0, idle: 0, busy: 0 };
  for (const vm of vms) {
    if (vm.phase === "provisioning") counts.provisioning++;
    else if (vm.phase === "booting") counts.booting++;
    else if (vm.phase === "idle" || vm.phase === "waiting") counts.idle++;
    else if (vm.phase === "busy" || vm.phase === "claimed" || vm.phase === "finished") counts.busy++;
  }
  return counts;
}

function floorDeficit(pool: PoolConfig, vms: readonly VmRecord[]): number {
  const spare = vms.filter((vm) => vm.pool === pool.name && vm.phase !== "busy" && vm.phase !== "claimed" && vm.phase !== "finished").length;
  return Math.max(0, pool.min - spare);
}
