/**
 * The guard inside the controller of the designated host (`guard.enabled`): every
 * `guard.intervalSeconds` it assesses the fleet and applies what it decides. Its own host's
 * status comes from the in-process reconciler, the other hosts' over HTTP. A failed round (say
 * GitHub is unreachable) is logged and the next round tries again; it never stops the controller.
 */
import { join } from "node:path";
import type { ControllerConfig } from "../config/controller-config.ts";
import type { StatusDocument } from "../controller/status-report.ts";
import { createFleetOctokit, type FleetOctokit } from "../github/octokit-github.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock } from "../ports/clock.ts";
import type { GitHub } from "../ports/github.ts";
import { applyAssessment, type AppliedChange } from "./apply.ts";
import { assessFleet, guardRepositories, type FleetAssessment } from "./collect.ts";
import { RunReader } from "./github-runs.ts";
import { defaultGuardConfig } from "./guard-config.ts";
import { guardMemoryFile } from "./guard-memory.ts";
import { initializeGuardSeries, recordGuardRound, type GuardMetrics } from "./guard-metrics.ts";

export const guardMemoryFileName = "guard-memory.json";

export interface GuardLoopOptions {
  config: ControllerConfig;
  /** Writes the routing variables. */
  github: GitHub;
  /** Reads runs and variables; defaults to the adapter's own client, or a new one from the config. */
  octokit?: FleetOctokit;
  ownStatus: () => StatusDocument | undefined;
  clock: Clock;
  logger: Logger;
  /** The controller's registry: the guard's state, triggers and decisions as metrics. */
  metrics?: GuardMetrics;
}

export interface GuardRound {
  assessment?: FleetAssessment;
  applied: AppliedChange[];
  error?: string;
}

export interface GuardLoop {
  /** The last completed round (tests, and a future /guard endpoint). */
  last(): GuardRound | undefined;
  stop(): Promise<void>;
}

export function startGuardLoop(options: GuardLoopOptions): GuardLoop {
  const { config, clock, logger } = options;
  const guard = config.guard ?? defaultGuardConfig;
  const log = logger.child({ component: "guard" });
  const octokit =
    options.octokit ??
    (options.github as Partial<{ octokit: FleetOctokit }>).octokit ??
    createFleetOctokit({ apiUrl: config.github.apiUrl, auth: config.github.auth, logger, clock });
  const runs = new RunReader(octokit);
  const memory = guardMemoryFile(join(config.paths.state, guardMemoryFileName), (error) =>
    log.warn({ event: "guard_memory_unwritable", err: error instanceof Error ? error.message : String(error) }, "cannot save the guard's memory"),
  );
  const by = `guard on ${config.host.name}`;
  const stop = new AbortController();
  let last: GuardRound | undefined;
  let previousTriggers = "";
  if (options.metrics) initializeGuardSeries(options.metrics, guardRepositories(config, guard));

  async function round(): Promise<GuardRound> {
    const assessment = await assessFleet({ config, guard, octokit, runs, clock, memory, controllerUrls: guard.controllers, ownStatus: options.ownStatus });
    const applied = await applyAssessment(options.github, assessment, { by, now: () => clock.now() });
    for (const change of applied) {
      const fields = { event: `guard_${change.action}`, repository: change.repository, triggers: change.change.triggers.map((t) => t.kind), reason: change.change.reason };
      if (change.error) log.error({ ...fields, err: change.error }, `guard ${change.action} failed`);
      else if (change.action === "rollback") log.warn(fields, "guard rolled back trusted routing");
      else log.info(fields, "guard restored trusted routing");
    }
    const triggers = JSON.stringify(assessment.repositories.map((r) => r.decision.triggers.map((t) => t.message)));
    if (triggers !== previousTriggers) {
      previousTriggers = triggers;
      log.info({ event: "guard_assessed", decisions: assessment.repositories.map((r) => ({ repository: r.repository, state: r.decision.state, action: r.decision.action, reason: r.decision.reason })) }, "guard triggers changed");
    }
    return { assessment, applied };
  }

  const running = (async () => {
    while (!stop.signal.aborted) {
      await clock.sleep(guard.intervalSeconds * 1000, stop.signal);
      if (stop.signal.aborted) break;
      try {
        last = await round();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        last = { applied: [], error: message };
        log.warn({ event: "guard_round_failed", err: message }, "guard round failed; retrying next interval");
      }
      if (options.metrics) recordGuardRound(options.metrics, last, guard);
    }
  })();
  log.info({ event: "guard_started", intervalSeconds: guard.intervalSeconds, controllers: guard.controllers.length }, "guard started");

  return {
    last: () => last,
    stop: async () => {
      stop.abort();
      await running;
    },
  };
}
