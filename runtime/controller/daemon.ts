/**
 * The controller process: wires config, adapters, the reconcile loop and the HTTP server, and
 * handles shutdown. Everything with a decision in it lives elsewhere; this file only connects.
 */
import { chmod, mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import type { ControllerConfig } from "../config/controller-config.ts";
import { coordinationFor, coordinationVersion } from "../coordination/from-config.ts";
import { gitHubFor } from "../github/from-config.ts";
import { startGuardLoop, type GuardLoop } from "../guard/guard-loop.ts";
import { hypervisorFor } from "../hypervisor/from-config.ts";
import { runsGuestAgent } from "../hypervisor/memory/guest-behaviours.ts";
import type { Logger } from "../log/logger.ts";
import { createMetrics, type Metrics } from "../observability/metrics.ts";
import { systemClock, type Clock } from "../ports/clock.ts";
import type { GitHub } from "../ports/github.ts";
import type { Hypervisor } from "../ports/hypervisor.ts";
import type { Coordination } from "../ports/coordination.ts";
import { ConsoleReader } from "./console-reader.ts";
import { watchConsoles } from "./console-watch.ts";
import type { ControllerContext } from "./context.ts";
import { DemandTracker } from "./demand-tracker.ts";
import { FleetLink } from "./fleet-link.ts";
import { clearDrainFlag, setDrainFlag } from "./drain-flag.ts";
import { assessHealth } from "./health.ts";
import { HistoryStore } from "./history-store.ts";
import { initializeSeries } from "./initial-series.ts";
import { createControllerServer } from "./http-server.ts";
import { guardView } from "./status-page.ts";
import { admitHost } from "./host-admission.ts";
import { sysfsFacts } from "../facts/sysfs-facts.ts";
import type { HostFactsSource } from "../ports/host-facts.ts";
import { stateDirs } from "./naming.ts";
import { Reconciler, type ReconcilerOptions } from "./reconciler.ts";
import { RecordStore } from "./record-store.ts";
import { createTrustCheck } from "./trust-check.ts";
import { cacheStoreFor } from "../caches/from-config.ts";
import { judgeRunnerGroup } from "./runner-group-check.ts";
import { createWebhookIntake } from "./webhook-intake.ts";
import { startSnapshotKeeper } from "./snapshot-keeper.ts";

/** How long start waits for the runner-group check before reconciling anyway. */
const setupCheckTimeoutMs = 5_000;

export interface ControllerOptions {
  config: ControllerConfig;
  logger: Logger;
  clock?: Clock;
  /** Adapters to use instead of the ones the config names (tests). */
  hypervisor?: Hypervisor;
  github?: GitHub;
  /** Where the host's hardware facts come from (default: /proc and /sys). */
  facts?: HostFactsSource;
  /** A coordinator shared with other controllers in this process (tests, the in-process lab) instead of the config's. */
  coordination?: Coordination;
  metrics?: Metrics;
  reconciler?: ReconcilerOptions;
}

export interface RunningController {
  /** Base URL of the HTTP server. */
  url: string;
  reconciler: Reconciler;
  context: ControllerContext;
  /** SIGTERM semantics: drain this process's VMs (within the grace period), then stop. */
  shutdown(): Promise<void>;
  /**
   * Stops reconciling at once, leaving VMs as they are (as a crash would; tests use it). Actions
   * already under way finish first, so nothing writes to the state directory afterwards.
   */
  abandon(): Promise<void>;
}

export async function startController(options: ControllerOptions): Promise<RunningController> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const metrics = options.metrics ?? createMetrics();
  // Pools the host cannot hold are left out here, so nothing below ever starts one of their VMs.
  const { config, hardware, problems: hardwareProblems } = await admitHost(options.config, options.facts ?? sysfsFacts(), logger, metrics);
  initializeSeries(metrics, config.pools.map((p) => p.name), config.pools.flatMap((p) => (p.caches ?? []).map((c) => ({ pool: p.name, cache: c.name }))));
  await prepareStateDir(config.paths.state);

  const hypervisor = options.hypervisor ?? hypervisorFor(config, { guest: runsGuestAgent() });
  const github =
    options.github ??
    gitHubFor(config, { logger, clock, onApiCall: (route, status) => metrics.githubApiCalls.inc({ route, status: String(status) }) });
  if (config.github.auth.kind === "token") logger.warn({ event: "pat_in_use" }, "using the break-glass personal access token instead of the GitHub App");

  const context: ControllerContext = {
    config,
    hypervisor,
    github,
    clock,
    records: new RecordStore(config.paths.state, (file, problem) => {
      metrics.reconcileErrors.inc({ stage: "corrupt_record" });
      logger.error({ event: "record_corrupt", file, problem }, "unreadable VM record set aside; its leftovers will be swept as orphans");
    }),
    history: new HistoryStore(config.paths.state),
    consoles: new ConsoleReader(),
    metrics,
    logger,
    hardware,
    judgeRun: createTrustCheck(github, config.trust),
    ...cacheStoreFor(config, hypervisor),
  };
  await context.records.init();
  const demand = new DemandTracker();
  const fleet = fleetLinkFor(options, context, demand, () => reconciler.kick());
  if (fleet) context.fleet = fleet;
  const reconciler: Reconciler = new Reconciler(context, demand, { judgeRun: context.judgeRun, ...options.reconciler, ...(fleet ? { fleet } : {}) });
  reconciler.health.setupProblems.push(...hardwareProblems);
  // The setup check before the first pass: it also exchanges the App's installation token, so
  // the first VM does not wait for that. GitHub being slow or down must not hold the start up.
  await Promise.race([checkRunnerGroup(github, config, reconciler, logger), clock.sleep(setupCheckTimeoutMs)]);
  const unwatchHypervisor = hypervisor.watch(() => reconciler.kick());
  const unwatchConsoles = watchConsoles(stateDirs(config.paths.state).logs, () => reconciler.kick());

  let guard: GuardLoop | undefined;
  const server = createControllerServer({
    logger,
    metrics,
    status: () => reconciler.lastResult()?.status,
    inventory: () => reconciler.lastResult()?.inventory,
    health: () => assessHealth(reconciler.health, clock.now(), config.timing.reconcileSeconds * 1000),
    guard: () => guardView(config.guard?.enabled ? config.guard : undefined, guard?.last()),
    ...(config.webhook
      ? {
          webhook: {
            path: config.webhook.path,
            handle: createWebhookIntake({ secret: config.webhook.secret, demand, clock, metrics, logger, onChange: () => reconciler.kick() }),
          },
        }
      : {}),
    ...(config.adminToken
      ? {
          admin: {
            token: config.adminToken,
            drain: async () => {
              await setDrainFlag(config.paths.state, clock.now());
              reconciler.kick();
            },
            resume: async () => {
              await clearDrainFlag(config.paths.state);
              reconciler.kick();
            },
          },
        }
      : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address.includes(":") ? `[${address.address}]` : address.address}:${address.port}`;

  // The first pass reconciles whatever a previous run (or a crash) left behind.
  const loop = new AbortController();
  const running = reconciler.run(loop.signal);
  const snapshots = startSnapshotKeeper(context);
  logger.info({ event: "controller_started", url, host: config.host.name, pools: config.pools.map((p) => p.name) }, "controller started");
  // The designated host also runs the routing guard (docs/operations.md).
  guard = config.guard?.enabled ? startGuardLoop({ config, github, ownStatus: () => reconciler.lastResult()?.status, clock, logger, metrics }) : undefined;

  const close = async () => {
    await snapshots.stop();
    await guard?.stop();
    await fleet?.close();
    unwatchHypervisor();
    unwatchConsoles();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
  };
  return {
    url,
    reconciler,
    context,
    shutdown: async () => {
      logger.info({ event: "shutdown_begin", graceSeconds: config.timing.drainGraceSeconds }, "SIGTERM: draining");
      reconciler.beginShutdown();
      await running;
      await reconciler.settle();
      loop.abort();
      await close();
      logger.info({ event: "shutdown_done" }, "controller stopped");
    },
    abandon: async () => {
      loop.abort();
      await running;
      await reconciler.settle();
      await close();
    },
  };
}

/** The link to the fleet's coordinator, when the config names one (or a test shares one); none for a host alone. */
function fleetLinkFor(options: ControllerOptions, context: ControllerContext, demand: DemandTracker, kick: () => void): FleetLink | undefined {
  const { config, logger } = options;
  const shared = options.coordination;
  if (!shared && !config.coordination) return undefined;
  const connect = shared ? () => Promise.resolve(shared) : coordinationFor(config.coordination!, logger, config.host.name);
  return new FleetLink({ config, connect, ownsConnection: !shared, demand, clock: context.clock, logger, version: coordinationVersion, onUpdate: kick });
}

/**
 * Looks at the runner group once, in the background. If GitHub cannot be reached at start the
 * check is only logged: failing JIT requests would then show any problem soon enough.
 */
async function checkRunnerGroup(github: GitHub, config: ControllerConfig, reconciler: Reconciler, logger: Logger): Promise<void> {
  const id = config.github.runnerGroupId;
  let verdict;
  try {
    verdict = judgeRunnerGroup(id, await github.runnerGroup(id), config.github.scope);
  } catch (error) {
    logger.warn({ event: "runner_group_unchecked", err: error instanceof Error ? error.message : String(error) }, "could not read the runner group");
    return;
  }
  if (verdict.warning) logger.warn({ event: "runner_group_warning" }, verdict.warning);
  if (verdict.problem) {
    logger.error({ event: "runner_group_problem" }, verdict.problem);
    reconciler.health.setupProblems.push(verdict.problem);
  }
}

/**
 * Records stay private to root; QEMU (its own user under libvirt) must traverse to the overlay,
 * secret and log directories, so those are 0711: enter, but not list. Job channel sockets are
 * made by libvirtd (root), which hands QEMU the descriptor: their directory is root's alone.
 */
async function prepareStateDir(stateDir: string): Promise<void> {
  const dirs = stateDirs(stateDir);
  // mkdir leaves an existing directory's mode alone: set the modes explicitly every start.
  const modes: [string, number][] = [
    [stateDir, 0o711],
    [dirs.records, 0o700],
    [dirs.overlays, 0o711],
    [dirs.secrets, 0o711],
    [dirs.logs, 0o711],
    [dirs.channels, 0o700],
  ];
  for (const [dir, mode] of modes) {
    await mkdir(dir, { recursive: true, mode });
    await chmod(dir, mode);
  }
}
