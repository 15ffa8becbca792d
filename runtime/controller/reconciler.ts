/**
 * The level-triggered reconcile loop: observe (libvirt, the state directory, GitHub), plan
 * (a pure function), act (idempotent actions), repeat. Webhooks and hypervisor events only
 * make the next pass come sooner; a pass never depends on having received them.
 *
 * Local observation is cheap and runs every pass. GitHub is read at most once per
 * `reconcileSeconds` (runners) and `jobPollSeconds` (queued jobs), so API use does not grow
 * with how often the loop wakes up.
 *
 * Actions run in the background, one at a time per VM (keyed by name), and a finished action
 * kicks the loop. A pass therefore never waits on a slow call (GitHub may ask us to wait
 * minutes under rate limiting): boot timeouts and teardowns of other VMs keep happening.
 */
import type { PoolConfig } from "../config/controller-config.ts";
import type { RunnerInfo } from "../ports/github.ts";
import { rm } from "node:fs/promises";
import { listFilesWithPrefix, writeFileAtomic } from "../storage/atomic-file.ts";
import type { ControllerContext } from "./context.ts";
import type { DemandTracker } from "./demand-tracker.ts";
import { readDrainFlag } from "./drain-flag.ts";
import { nameOfFile, ownerPrefix, poolOfName, stateDirs, vmPaths } from "./naming.ts";
import { planReconcile, type Action, type Observation, type Plan, type PlanSettings } from "./plan.ts";
import { handOverClaim } from "./claim.ts";
import { provision, recordNewVm } from "./provision.ts";
import { buildInventory, buildStatus, type ControllerHealth, type InventoryDocument, type StatusDocument } from "./status-report.ts";
import { teardown } from "./teardown.ts";
import { GitHubObserver } from "./github-observer.ts";
import { withFleetProblem, type FleetLink } from "./fleet-link.ts";
import { TrustGate, type JudgeRun } from "./trust-check.ts";
import type { VmRecord } from "./vm-record.ts";
import type { ConsoleMarks } from "./console-marks.ts";

/** While any VM is changing state, look again this soon (local observation only). */
const busyIntervalMs = 1_000;
/** At most this many provisions run at once: starting many QEMUs at once slows them all. */
const provisionConcurrency = 4;

export interface ReconcilerOptions {
  peers?: readonly string[];
  peerFallbackMs?: number;
  stuckGraceMs?: number;
  /** The trust check: whether a run's jobs may run here (`trust-check.ts`). Without it, every job may. */
  judgeRun?: JudgeRun;
  /** A coordinated fleet (docs/coordination.md): the plan provisions only for jobs this host claimed. */
  fleet?: FleetLink;
}

export interface PassResult {
  plan: Plan;
  status: StatusDocument;
  inventory: InventoryDocument;
}

export class Reconciler {
  readonly health: ControllerHealth;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly observer: GitHubObserver;
  private readonly trust: TrustGate;
  private wake: (() => void) | undefined;
  private kicked = false;
  /** The last runner list read, for the inventory (orphan detection uses each list once). */
  private runners: RunnerInfo[] | undefined;
  private last: PassResult | undefined;
  private readonly settings: PlanSettings;
  private readonly prefix: string;
  private readonly fleet: FleetLink | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly demand: DemandTracker,
    options: ReconcilerOptions = {},
  ) {
    this.fleet = options.fleet;
    const { config } = ctx;
    this.prefix = ownerPrefix(config.namePrefix, config.host.name);
    this.health = {
      startedAt: ctx.clock.now(),
      lastPassAt: undefined,
      lastPassOk: false,
      lastError: undefined,
      githubOkAt: undefined,
      rateLimit: undefined,
      drainingSince: undefined,
      shuttingDownSince: undefined,
      setupProblems: [],
    };
    this.observer = new GitHubObserver({
      config,
      github: ctx.github,
      demand,
      clock: ctx.clock,
      metrics: ctx.metrics,
      logger: ctx.logger,
      prefix: this.prefix,
      onUpdate: () => this.kick(),
    });
    this.trust = new TrustGate(options.judgeRun, {
      github: ctx.github,
      pools: config.pools,
      metrics: ctx.metrics,
      logger: ctx.logger,
      onVerdict: () => this.kick(),
    });
    this.settings = {
      config,
      timing: {
        bootTimeoutMs: config.timing.bootTimeoutSeconds * 1000,
        jobTimeoutMs: config.timing.jobTimeoutMinutes * 60_000,
        stuckGraceMs: options.stuckGraceMs ?? 60_000,
      },
      peers: options.peers ?? [config.host.name],
      peerFallbackMs: options.peerFallbackMs ?? 30_000,
      owns: (name) => name.startsWith(this.prefix),
    };
  }

  /** Asks for a pass soon. `github`: the world on GitHub changed (a webhook): re-read it too. */
  kick(options: { github?: boolean } = {}): void {
    this.kicked = true;
    if (options.github) this.observer.wantRunners();
    this.wake?.();
  }

  /** SIGTERM: take no new jobs, let busy VMs finish within the grace period, remove idle ones. */
  beginShutdown(): void {
    this.health.shuttingDownSince ??= this.ctx.clock.now();
    this.kick();
  }

  lastResult(): PassResult | undefined {
    return this.last;
  }

  /** Runs passes until `signal` aborts, or after shutdown once every VM is gone. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const result = await this.pass();
      if (this.health.shuttingDownSince !== undefined && result.status.vms.length === 0 && this.inFlight.size === 0) return;
      if (this.kicked) continue;
      const transitional = result.status.vms.some((vm) => vm.phase !== "idle" && vm.phase !== "busy" && vm.phase !== "waiting");
      const interval = transitional || this.inFlight.size > 0 || this.health.shuttingDownSince !== undefined
        ? busyIntervalMs
        : this.ctx.config.timing.reconcileSeconds * 1000;
      const wakeup = new AbortController();
      const abort = () => wakeup.abort();
      signal.addEventListener("abort", abort, { once: true });
      this.wake = abort;
      await this.ctx.clock.sleep(interval, wakeup.signal);
      this.wake = undefined;
      signal.removeEventListener("abort", abort);
    }
  }

  /** One observe → plan → act cycle. Never throws: failures are recorded in health and metrics. */
  async pass(): Promise<PassResult> {
    const { ctx } = this;
    const stopTimer = ctx.metrics.reconcileSeconds.startTimer();
    this.kicked = false;
    let obs: Observation | undefined;
    let plan: Plan | undefined;
    const started = ctx.clock.now();
    try {
      obs = await this.observe();
      const observed = ctx.clock.now();
      // Refused jobs are no demand: no VM is started for them.
      obs.queued = this.trust.vetQueued(obs.queued);
      plan = planReconcile(obs, this.fleetSettings(obs));
      for (const record of plan.updates) await ctx.records.put(record);
      this.logTransitions(obs.records, plan.updates);
      const latest = mergeRecords(obs.records, plan.updates);
      await this.act([...this.refusalActions(latest), ...(this.fleet?.leaseActions(latest) ?? []), ...plan.actions], latest);
      ctx.logger.debug({ event: "reconcile_pass", observeMs: observed - started, planActMs: ctx.clock.now() - observed, actions: plan.actions.length }, "pass");
      this.health.lastPassOk = true;
      this.health.lastError = undefined;
      ctx.metrics.up.set(1);
    } catch (error) {
      this.health.lastPassOk = false;
      this.health.lastError = error instanceof Error ? error.message : String(error);
      ctx.metrics.up.set(0);
      ctx.metrics.reconcileErrors.inc({ stage: obs ? "act" : "observe" });
      ctx.logger.error({ event: "reconcile_failed", err: this.health.lastError }, "reconcile pass failed");
    }
    this.health.lastPassAt = ctx.clock.now();
    stopTimer();
    this.last = await this.report(plan, obs);
    return this.last;
  }

  private async observe(): Promise<Observation> {
    const { ctx } = this;
    const { config, hypervisor } = ctx;
    const now = ctx.clock.now();
    const dirs = stateDirs(config.paths.state);
    // Taken before anything is read: an action that finishes while we read has left its VM in
    // a state the records may not show yet, so it must still count as in flight.
    const inFlight = new Set(this.inFlight.keys());
    // Resources first, records last: anything created after this point has a record we will see.
    let domainsSeenAt = now;
    const [domains, overlays, secrets] = await Promise.all([
      hypervisor.listDomains(this.prefix).then((listed) => {
        domainsSeenAt = ctx.clock.now();
        return listed;
      }),
      hypervisor.listOverlays(dirs.overlays, this.prefix),
      listFilesWithPrefix(dirs.secrets, this.prefix),
    ]);
    const records = await ctx.records.list();
    this.health.drainingSince = await readDrainFlag(config.paths.state);
    // A list read before the records were: every runner in it has a record or is in flight.
    const runners = this.observer.takeFreshRunners();
    if (runners) this.runners = runners;
    this.observer.poll();
    this.health.githubOkAt = this.observer.okAt;
    this.health.rateLimit = this.observer.rateLimit();

    const consoles = new Map<string, ConsoleMarks>();
    const live = new Set(domains.map((d) => d.name));
    await Promise.all(
      records
        .filter((r) => live.has(r.name))
        .map(async (r) => consoles.set(r.name, await ctx.consoles.read(r.name, vmPaths(config.paths.state, r.name).serialLog))),
    );
    this.demand.prune(now);
    const queued = this.demand.queuedJobs();
    return {
      now,
      records,
      domains,
      domainsSeenAt,
      runners,
      consoles,
      overlays,
      secrets,
      queued,
      assignments: this.demand.assignmentsByRunner(),
      history: await ctx.history.read(),
      drainingSince: this.health.drainingSince,
      shuttingDownSince: this.health.shuttingDownSince,
      inFlight,
      clearedJobs: this.trust.cleared(queued),
    };
  }

  /** In a coordinated fleet the demand is the jobs this host claimed, and the pools are its share of the fleet's. */
  private fleetSettings(obs: Observation): PlanSettings {
    if (!this.fleet) return this.settings;
    const stopping = obs.shuttingDownSince !== undefined || obs.drainingSince !== undefined;
    const { queued, pools } = this.fleet.beforePlan(obs.records, stopping);
    obs.queued = this.trust.vetQueued(queued);
    this.health.setupProblems = withFleetProblem(this.health.setupProblems, this.fleet.problem);
    return { ...this.settings, config: { ...this.settings.config, pools } };
  }

  /** Teardowns for VMs whose job the trust gate refuses. They come first: a refusal beats any other end. */
  private refusalActions(latest: readonly VmRecord[]): Action[] {
    return this.trust
      .refusals(latest)
      .map((refusal) => ({ kind: "teardown", name: refusal.name, reason: "untrusted", detail: refusal.detail, voluntary: false, headSha: refusal.headSha }));
  }

  private async act(actions: readonly Action[], records: readonly VmRecord[]): Promise<void> {
    const latest = new Map(records.map((r) => [r.name, r]));
    const pools = new Map(this.ctx.config.pools.map((p) => [p.name, p]));
    let provisioning = [...this.inFlight.keys()].filter((name) => latest.get(name)?.phase === "provisioning").length;
    for (const action of actions) {
      if (action.kind === "provision") {
        // More starts wait for the next pass: many QEMUs starting at once slow each other down.
        if (provisioning >= provisionConcurrency) continue;
        provisioning++;
        await this.startProvision(pools.get(action.pool)!, action.noticedAt, this.fleet?.takeClaim(action.pool));
        continue;
      }
      const key = "name" in action ? action.name : nameOfFile(action.path);
      this.launch(key, () => this.perform(action, latest));
    }
  }

  /** The record is written before the pass ends, so the next pass counts this VM. */
  private async startProvision(pool: PoolConfig, noticedAt: number, claim?: VmRecord["claim"]): Promise<void> {
    const record = await recordNewVm(this.ctx, pool, noticedAt, claim);
    this.launch(record.name, () => provision(this.ctx, pool, record).then(() => undefined));
  }

  private async perform(action: Exclude<Action, { kind: "provision" }>, latest: ReadonlyMap<string, VmRecord>): Promise<void> {
    const { ctx } = this;
    switch (action.kind) {
      case "teardown": {
        const record = latest.get(action.name) ?? this.orphanRecord(action.name);
        const leaving: VmRecord = { ...record, teardown: record.teardown ?? { reason: action.reason, detail: action.detail, at: ctx.clock.now() } };
        if (action.headSha !== undefined && record.job) leaving.job = { ...record.job, headSha: action.headSha };
        await teardown(ctx, leaving, { voluntary: action.voluntary });
        return;
      }
      case "deleteRunner":
        ctx.logger.info({ event: "orphan_runner_removed", runner: action.name, runnerId: action.id }, "removing orphan runner registration");
        await ctx.github.deleteRunner(action.id);
        return;
      case "removeOverlay":
        await ctx.hypervisor.removeOverlay(action.path);
        return;
      case "removeSecret":
        await rm(action.path, { force: true });
        return;
      case "claim":
        await handOverClaim(ctx, latest.get(action.name)!);
        return;
    }
  }

  /**
   * Runs an action in the background with its VM marked in flight, so no pass acts on the VM
   * twice. A failure is logged and counted; the next pass sees the world as it is and retries.
   */
  private launch(name: string, work: () => Promise<void>): void {
    if (this.inFlight.has(name)) return;
    const running = work()
      .catch((error: unknown) => {
        this.ctx.metrics.reconcileErrors.inc({ stage: "action" });
        this.ctx.logger.error({ event: "action_failed", runner: name, err: error instanceof Error ? error.message : String(error) }, "action failed; will retry");
      })
      .finally(() => {
        this.inFlight.delete(name);
        this.kick();
      });
    this.inFlight.set(name, running);
  }

  /** Resolves once every action and GitHub read started so far has finished (tests and shutdown use it). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
    await this.observer.settle();
    await this.fleet?.settle();
  }

  private orphanRecord(name: string): VmRecord {
    const { config } = this.ctx;
    return { name, pool: poolOfName(name, config.namePrefix, config.host.name) ?? "unknown", phase: "tearing-down", times: { requested: this.ctx.clock.now() } };
  }

  private logTransitions(before: readonly VmRecord[], updates: readonly VmRecord[]): void {
    const previous = new Map(before.map((r) => [r.name, r.phase]));
    for (const record of updates) {
      if (previous.get(record.name) === record.phase) continue;
      this.ctx.logger.info(
        { event: "vm_phase", runner: record.name, pool: record.pool, phase: record.phase, jobId: record.job?.id },
        `runner VM ${record.phase}`,
      );
    }
  }

  private async report(plan: Plan | undefined, obs: Observation | undefined): Promise<PassResult> {
    const { ctx } = this;
    const { config } = ctx;
    const now = ctx.clock.now();
    // Reporting must not stop the loop: if the state directory cannot be read again, report
    // what this pass observed (the failed pass is already in health and metrics).
    const [records, history] = await Promise.all([
      ctx.records.list().catch((): VmRecord[] => obs?.records ?? []),
      ctx.history.read().catch(() => this.last?.status.recentJobs ?? []),
    ]);
    const pools = plan?.pools ?? this.last?.plan.pools ?? [];
    const used = plan?.used ?? this.last?.plan.used ?? { vcpus: 0, memoryMiB: 0 };
    const status = buildStatus({ config, now, health: this.health, pools, used, records, history, hardware: ctx.hardware, ...(ctx.caches ? { cacheSizes: (p, c) => ctx.caches!.sizesOf(p, c) } : {}) });
    if (this.fleet) status.fleet = this.fleet.view();
    // The inventory is what this pass observed; actions started by it show up in the next one.
    const inventory = buildInventory({
      host: config.host.name,
      now: obs?.now ?? now,
      domains: obs?.domains ?? [],
      overlays: obs?.overlays ?? [],
      secrets: obs?.secrets ?? [],
      runners: this.runners,
      records: obs?.records ?? records,
    });
    this.updateGauges(status);
    await this.writeDocuments(status, inventory);
    return { plan: plan ?? { updates: [], actions: [], pools, used }, status, inventory };
  }

  private updateGauges(status: StatusDocument): void {
    const { metrics } = this.ctx;
    for (const pool of status.pools) {
      for (const [state, count] of Object.entries(pool.counts)) metrics.poolVms.set({ pool: pool.name, state }, count);
      const tearingDown = status.vms.filter((vm) => vm.pool === pool.name && vm.phase === "tearing-down").length;
      metrics.poolVms.set({ pool: pool.name, state: "tearing_down" }, tearingDown);
      metrics.poolBounds.set({ pool: pool.name, bound: "min" }, pool.min);
      metrics.poolBounds.set({ pool: pool.name, bound: "max" }, pool.max);
      metrics.poolBounds.set({ pool: pool.name, bound: "target" }, pool.target);
      metrics.poolBounds.set({ pool: pool.name, bound: "desired" }, pool.desired);
      metrics.queuedJobs.set({ pool: pool.name }, pool.queued);
    }
    metrics.hostCapacity.set({ resource: "vcpus", kind: "budget" }, status.capacity.vcpus.budget);
    metrics.hostCapacity.set({ resource: "vcpus", kind: "used" }, status.capacity.vcpus.used);
    metrics.hostCapacity.set({ resource: "memory_mib", kind: "budget" }, status.capacity.memoryMiB.budget);
    metrics.hostCapacity.set({ resource: "memory_mib", kind: "used" }, status.capacity.memoryMiB.used);
    metrics.draining.set(status.controller.draining ? 1 : 0);
  }

  private async writeDocuments(status: StatusDocument, inventory: InventoryDocument): Promise<void> {
    const { paths } = this.ctx.config;
    const writes: Promise<void>[] = [];
    if (paths.status) writes.push(writeFileAtomic(paths.status, JSON.stringify(status, null, 2) + "\n", 0o644));
    if (paths.inventory) writes.push(writeFileAtomic(paths.inventory, JSON.stringify(inventory, null, 2) + "\n", 0o644));
    await Promise.all(writes).catch((error: unknown) => {
      this.ctx.logger.warn({ event: "status_write_failed", err: error instanceof Error ? error.message : String(error) }, "could not write status files");
    });
  }
}

/** The records as they are after this pass's updates. */
function mergeRecords(records: readonly VmRecord[], updates: readonly VmRecord[]): VmRecord[] {
  const byName = new Map(records.map((r) => [r.name, r]));
  for (const update of updates) byName.set(update.name, update);
  return [...byName.values()];
}
