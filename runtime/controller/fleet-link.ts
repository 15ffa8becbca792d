/**
 * The controller's side of a coordinated fleet (docs/coordination.md). The loop asks it three
 * things per pass: which claimed jobs it may provision for, with which pool bounds (this host's
 * share of the fleet's), and which VMs lost their claim. Provisioning asks it before the JIT
 * request and before the VM starts (fencing); teardown tells it how the VM ended.
 *
 * Talking to the coordinator happens in the background, like reading GitHub: a pass never waits
 * for the database. While it is unreachable no job is claimed, claims in hand are not started
 * (the fencing check fails), running VMs go on, and what teardowns report waits in an outbox.
 */
import type { ControllerConfig, PoolConfig } from "../config/controller-config.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock } from "../ports/clock.ts";
import type { ClaimedJob, Coordination, FleetHistoryEntry, HostView, Lease } from "../ports/coordination.ts";
import { poolForJob, type QueuedJob } from "./demand.ts";
import type { DemandTracker } from "./demand-tracker.ts";
import { fleetShares, freeSlots, poolFacts } from "./fleet-pools.ts";
import { usage } from "./host-budget.ts";
import { countPhases, type Action } from "./plan.ts";
import type { HistoryEntry, VmRecord } from "./vm-record.ts";

export type Claim = NonNullable<VmRecord["claim"]>;

/** What provisioning and teardown need from the fleet (on the controller's context). */
export interface FleetHooks {
  /** Fencing: true while this host still holds the claim the VM is being made for. */
  mayProceed(record: VmRecord): Promise<boolean>;
  /** A VM's life ended: release its claim or complete its job, and add it to the fleet history. Never throws. */
  finished(record: VmRecord, entry: HistoryEntry): Promise<void>;
}

export interface FleetView {
  /** Every host's last heartbeat, as last read. */
  hosts: HostView[];
  /** Why the coordinator cannot be used right now, if so. */
  problem?: string;
  /** Claims this host holds that no VM was started for yet. */
  claimsWaiting: number;
  /** The fleet's recent finished VMs on every host, newest first, as last read (bounded by `fleetHistoryWindow`). */
  history?: FleetHistoryEntry[];
}

/** How much fleet history each status carries: what `fleet status` and `fleet canary` judge over. */
export const fleetHistoryWindow = { ms: 60 * 60_000, limit: 200 };

interface Held extends ClaimedJob {
  /** Local time after which the claim is surely gone unless renewed. */
  localExpiry: number;
  seenAt: number;
}

interface Snapshot {
  records: readonly VmRecord[];
  stopping: boolean;
}

export class FleetLink implements FleetHooks {
  problem: string | undefined;
  private coordination: Coordination | undefined;
  private readonly held = new Map<number, Held>();
  private readonly recorded = new Set<number>();
  private readonly reportedTaken = new Set<number>();
  /** Claims this host lost (`jobId:token`): one job can be claimed again, by this host too, with a new token. */
  private readonly lost = new Set<string>();
  /** Claims given back because their VM took another job (`jobId:token`). */
  private readonly released = new Set<string>();
  private readonly outbox: { entry: FleetHistoryEntry; lease?: Claim; release?: boolean }[] = [];
  private hostViews: HostView[] | undefined;
  private recentHistory: FleetHistoryEntry[] | undefined;
  private syncing: Promise<void> | undefined;
  private beatAt = 0;
  private connectAt = 0;
  private snapshot: Snapshot = { records: [], stopping: false };
  private readonly host: string;
  private readonly leaseMs: number;
  private readonly beatMs: number;

  constructor(
    private readonly deps: {
      config: ControllerConfig;
      /** Opens the coordinator (PostgreSQL: connect and migrate); retried while it fails. */
      connect: () => Promise<Coordination>;
      /** False when the coordinator is shared with other controllers in this process: closing is theirs. */
      ownsConnection: boolean;
      demand: DemandTracker;
      clock: Clock;
      logger: Logger;
      version: string;
      /** New claims or lost leases: run a pass. */
      onUpdate: () => void;
    },
  ) {
    const settings = deps.config.coordination?.postgres;
    this.host = deps.config.host.name;
    this.leaseMs = (settings?.leaseSeconds ?? 30) * 1000;
    this.beatMs = (settings?.heartbeatSeconds ?? 5) * 1000;
  }

  /**
   * In the pass, before the plan: starts a background sync with what this pass saw, and returns
   * the claimed jobs not yet given a VM (the plan's demand) and the pools with this host's share.
   */
  beforePlan(records: readonly VmRecord[], stopping: boolean): { queued: QueuedJob[]; pools: PoolConfig[] } {
    this.snapshot = { records, stopping };
    this.dropGone();
    this.sync();
    const pools = this.sharedPools(records);
    const queued = [...this.held.values()].map(({ lease: _lease, recordedAt: _recordedAt, localExpiry: _expiry, ...job }) => job);
    return { queued, pools };
  }

  /** A claim for a VM about to be recorded for `pool`, oldest first; undefined for a warm VM. */
  takeClaim(pool: string): Claim | undefined {
    // Which pool a job belongs to depends on labels alone, which a pool's fleet share keeps.
    const job = [...this.held.values()]
      .filter((h) => poolForJob(this.deps.config.pools, h.labels)?.name === pool)
      .sort((a, b) => a.queuedAt - b.queuedAt || a.id - b.id)[0];
    if (!job) return undefined;
    this.held.delete(job.id);
    return { jobId: job.id, token: job.lease.token };
  }

  /** Teardowns for VMs whose claim another host took over, unless their job already runs. */
  leaseActions(records: readonly VmRecord[]): Action[] {
    const actions: Action[] = [];
    for (const record of records) {
      if (!record.claim || !this.lost.has(claimKey(record.claim))) continue;
      if (record.phase !== "booting" && record.phase !== "idle") continue;
      actions.push({ kind: "teardown", name: record.name, reason: "lease_lost", detail: `another host took over job ${record.claim.jobId}`, voluntary: record.phase === "idle" });
    }
    return actions;
  }

  async mayProceed(record: VmRecord): Promise<boolean> {
    if (!record.claim) return true;
    if (!this.coordination) return false;
    try {
      return await this.coordination.checkLease(this.host, record.claim.jobId, record.claim.token);
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  async finished(record: VmRecord, entry: HistoryEntry): Promise<void> {
    const fleetEntry: FleetHistoryEntry = {
      host: this.host,
      name: entry.name,
      pool: entry.pool,
      outcome: entry.outcome,
      reason: entry.reason,
      detail: entry.detail,
      times: { ...entry.times },
      endedAt: entry.times.tornDown ?? this.deps.clock.now(),
    };
    if (entry.job?.id !== undefined) fleetEntry.jobId = entry.job.id;
    if (entry.job?.repository !== undefined) fleetEntry.repository = entry.job.repository;
    // A VM that ran the job it was claimed for completes it; any other end gives the claim back.
    const ranClaimed = record.claim !== undefined && entry.job?.id === record.claim.jobId;
    this.outbox.push({ entry: fleetEntry, ...(record.claim ? { lease: record.claim, release: !ranClaimed } : {}) });
    await this.flush().catch((error: unknown) => this.fail(error));
  }

  view(): FleetView {
    return {
      hosts: this.hostViews ?? [],
      ...(this.problem ? { problem: this.problem } : {}),
      claimsWaiting: this.held.size,
      ...(this.recentHistory ? { history: this.recentHistory } : {}),
    };
  }

  /** Resolves when the sync under way (if any) is done. */
  async settle(): Promise<void> {
    await this.syncing;
  }

  async close(): Promise<void> {
    await this.syncing;
    if (this.deps.ownsConnection) await this.coordination?.close().catch(() => undefined);
  }

  private sync(): void {
    if (this.syncing) return;
    this.syncing = this.syncOnce()
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.syncing = undefined;
      });
  }

  private async syncOnce(): Promise<void> {
    const coordination = await this.connected();
    if (!coordination) return;
    const { demand, clock } = this.deps;
    const now = clock.now();
    const fresh = demand.queuedJobs().filter((job) => job.untrusted === undefined && !this.recorded.has(job.id));
    if (fresh.length > 0) {
      await coordination.recordQueued(fresh.map(({ id, runId, repository, labels, queuedAt }) => ({ id, runId, repository, labels, queuedAt })));
      for (const job of fresh) this.recorded.add(job.id);
    }
    const taken = demand.goneJobIds().filter((id) => !this.reportedTaken.has(id));
    if (taken.length > 0) {
      await coordination.markTaken(taken);
      for (const id of taken) this.reportedTaken.add(id);
    }
    await this.releaseSwapped(coordination);
    let news = false;
    const beat = now - this.beatAt >= this.beatMs;
    if (beat) news = (await this.renew(coordination, now)) || news;
    news = (await this.claim(coordination, now, fresh.length > 0 || beat)) || news;
    if (beat) {
      await coordination.heartbeat(this.facts());
      this.hostViews = await coordination.hosts();
      this.recentHistory = await coordination.history({ since: now - fleetHistoryWindow.ms, limit: fleetHistoryWindow.limit });
      this.beatAt = now;
    }
    await this.flush();
    this.forget();
    this.problem = undefined;
    // Jobs heard of while this sync ran are recorded and claimed by the next, without waiting for a tick.
    const heardMeanwhile = demand.queuedJobs().some((job) => job.untrusted === undefined && !this.recorded.has(job.id));
    if (news || heardMeanwhile) this.deps.onUpdate();
  }

  private async connected(): Promise<Coordination | undefined> {
    if (this.coordination) return this.coordination;
    const now = this.deps.clock.now();
    if (now - this.connectAt < this.beatMs) return undefined;
    this.connectAt = now;
    this.coordination = await this.deps.connect();
    this.deps.logger.info({ event: "coordination_connected" }, "connected to the fleet's coordinator");
    return this.coordination;
  }

  /**
   * GitHub hands a queued job to any idle runner with the labels, so a VM started for job A may
   * take job B. A is then given back at once, for another VM: waiting for this VM to finish B
   * would hold A up for a whole job.
   */
  private async releaseSwapped(coordination: Coordination): Promise<void> {
    for (const record of this.snapshot.records) {
      const claim = record.claim;
      if (!claim || record.job?.id === undefined || record.job.id === claim.jobId) continue;
      const key = claimKey(claim);
      if (this.released.has(key)) continue;
      await coordination.release(this.host, claim.jobId, claim.token);
      this.released.add(key);
    }
  }

  /** Renews every claim this host holds; returns true when some were lost. */
  private async renew(coordination: Coordination, now: number): Promise<boolean> {
    const bound = this.snapshot.records.flatMap((r) => (r.claim && r.phase !== "tearing-down" ? [r.claim] : []));
    const leases: Pick<Lease, "jobId" | "token">[] = [...bound, ...[...this.held.values()].map((h) => ({ jobId: h.id, token: h.lease.token }))];
    const { held } = await coordination.renew(this.host, leases);
    const kept = new Set(held.map(claimKey));
    for (const lease of held) {
      const mine = this.held.get(lease.jobId);
      if (mine?.lease.token === lease.token) mine.localExpiry = now + this.leaseMs;
    }
    const lost = leases.filter((l) => !kept.has(claimKey(l)));
    for (const lease of lost) {
      if (this.held.get(lease.jobId)?.lease.token === lease.token) this.held.delete(lease.jobId);
      this.lost.add(claimKey(lease));
    }
    const live = new Set(bound.map(claimKey));
    for (const key of this.lost) if (!live.has(key)) this.lost.delete(key);
    const news = lost.filter((l) => !this.released.has(claimKey(l)));
    if (news.length > 0) this.deps.logger.warn({ event: "lease_lost", jobIds: news.map((l) => l.jobId) }, "another host took over jobs this host had claimed");
    return news.length > 0;
  }

  /** Claims what this host has room for. `due`: there may be jobs (new intake, or a heartbeat's look). */
  private async claim(coordination: Coordination, now: number, due: boolean): Promise<boolean> {
    const { records, stopping } = this.snapshot;
    if (stopping) {
      for (const h of [...this.held.values()]) {
        await coordination.release(this.host, h.id, h.lease.token);
        this.held.delete(h.id);
      }
      return false;
    }
    if (!due) return false;
    const pools = this.sharedPools(records);
    const slots = this.slots(pools, records);
    const waiting = new Map<string, number>();
    for (const h of this.held.values()) {
      const pool = poolForJob(pools, h.labels)?.name;
      if (pool) waiting.set(pool, (waiting.get(pool) ?? 0) + 1);
    }
    const requests = pools
      .map((pool) => ({ labels: pool.labels, count: (slots.get(pool.name) ?? 0) - (waiting.get(pool.name) ?? 0) }))
      .filter((r) => r.count > 0);
    if (requests.length === 0) return false;
    const claimed = await coordination.claim(this.host, requests);
    const seen = new Map(this.deps.demand.queuedJobs().map((j) => [j.id, j.seenAt]));
    for (const job of claimed) this.held.set(job.id, { ...job, localExpiry: now + this.leaseMs, seenAt: seen.get(job.id) ?? now });
    return claimed.length > 0;
  }

  /**
   * Keeps the bookkeeping sets to what the tracker and the records still hold, so they do not
   * grow with every job ever seen. Forgetting too early only repeats an idempotent statement.
   */
  private forget(): void {
    const queued = new Set(this.deps.demand.queuedJobs().map((j) => j.id));
    const gone = new Set(this.deps.demand.goneJobIds());
    const claims = new Set(this.snapshot.records.flatMap((r) => (r.claim ? [claimKey(r.claim)] : [])));
    for (const id of this.recorded) if (!queued.has(id)) this.recorded.delete(id);
    for (const id of this.reportedTaken) if (!gone.has(id)) this.reportedTaken.delete(id);
    for (const key of this.released) if (!claims.has(key)) this.released.delete(key);
  }

  /** Claims whose job GitHub says started (some runner took it) or whose lease surely ran out. */
  private dropGone(): void {
    const gone = new Set(this.deps.demand.goneJobIds());
    const now = this.deps.clock.now();
    for (const [id, h] of this.held) if (gone.has(id) || now > h.localExpiry) this.held.delete(id);
  }

  private async flush(): Promise<void> {
    const coordination = this.coordination;
    if (!coordination) return;
    while (this.outbox.length > 0) {
      const { entry, lease, release } = this.outbox[0]!;
      if (lease && release) await coordination.release(this.host, lease.jobId, lease.token);
      await coordination.complete(entry, lease && !release ? lease : undefined);
      this.outbox.shift();
    }
  }

  private sharedPools(records: readonly VmRecord[]): PoolConfig[] {
    const { config } = this.deps;
    return fleetShares(config.pools, this.host, this.ownPoolFacts(config.pools, records), this.hostViews);
  }

  private slots(pools: readonly PoolConfig[], records: readonly VmRecord[]): Map<string, number> {
    const live = new Map<string, number>();
    for (const r of records) live.set(r.pool, (live.get(r.pool) ?? 0) + 1);
    return freeSlots(this.deps.config, pools, live, records.map((r) => r.pool));
  }

  private ownPoolFacts(pools: readonly PoolConfig[], records: readonly VmRecord[]) {
    const slots = this.slots(pools, records);
    return pools.map((pool) => poolFacts(pool, pool, countPhases(records.filter((r) => r.pool === pool.name)), slots.get(pool.name) ?? 0));
  }

  private facts() {
    const { config } = this.deps;
    const { records, stopping } = this.snapshot;
    const shared = this.sharedPools(records);
    const slots = this.slots(shared, records);
    const byName = new Map(config.pools.map((p) => [p.name, p]));
    const pools = shared.map((pool) => poolFacts(pool, byName.get(pool.name)!, countPhases(records.filter((r) => r.pool === pool.name)), slots.get(pool.name) ?? 0));
    const used = usage(config.pools, records.map((r) => r.pool));
    return {
      host: this.host,
      version: this.deps.version,
      capacity: { vcpus: config.host.vcpus, memoryMiB: config.host.memoryMiB },
      free: { vcpus: config.host.vcpus - used.vcpus, memoryMiB: config.host.memoryMiB - used.memoryMiB },
      pools,
      draining: stopping,
    };
  }

  private fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (message !== this.problem) this.deps.logger.warn({ event: "coordination_unavailable", err: message }, "coordinator unavailable: no new claims");
    this.problem = message;
  }
}

const problemPrefix = "coordination: ";

/** The health's problem list with the coordinator's current problem (if any) in place of the last one. */
export function withFleetProblem(problems: readonly string[], problem: string | undefined): string[] {
  const others = problems.filter((p) => !p.startsWith(problemPrefix));
  return problem === undefined ? others : [...others, problemPrefix + problem];
}

function claimKey(claim: { jobId: number; token: number }): string {
  return `${claim.jobId}:${claim.token}`;
}
