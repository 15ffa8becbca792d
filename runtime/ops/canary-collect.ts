/** The facts `fleet canary` judges: recent runs of every repository (recomputed routing) and the controllers' status. */
import type { ControllerConfig } from "../config/controller-config.ts";
import type { StatusDocument } from "../controller/status-report.ts";
import type { FleetOctokit } from "../github/octokit-github.ts";
import { fleetIdentity, guardRepositories, observeControllers } from "../guard/collect.ts";
import type { ControllerObservation } from "../guard/evidence.ts";
import type { GuardConfig } from "../guard/guard-config.ts";
import type { RunReader } from "../guard/github-runs.ts";
import { analyseRun, findMismatches, type RunVerdict } from "../guard/run-analysis.ts";
import { readRoutingState } from "../guard/routing-variables.ts";

export interface CanaryFacts {
  runs: RunVerdict[];
  statuses: StatusDocument[];
  controllers: ControllerObservation[];
}

export async function collectCanaryFacts(options: {
  config: ControllerConfig;
  guard: GuardConfig;
  octokit: FleetOctokit;
  runs: RunReader;
  controllerUrls: readonly string[];
  runsPerRepository: number;
}): Promise<CanaryFacts> {
  const { config, guard } = options;
  const controllers = await observeControllers(options.controllerUrls);
  const fleet = fleetIdentity(config, controllers);
  const verdicts: RunVerdict[] = [];
  for (const repository of guardRepositories(config, guard)) {
    const variable = await readRoutingState(options.octokit, repository);
    const recent = await options.runs.recentRuns(repository, options.runsPerRepository);
    verdicts.push(...recent.map((run) => analyseRun(run, { fleet, ...(guard.policy ? { policy: guard.policy } : {}), variable })));
  }
  const runs = findMismatches(verdicts, guard.routedWorkflows ? { routedWorkflows: guard.routedWorkflows } : {});
  return { runs, statuses: controllers.flatMap((c) => (c.status ? [c.status] : [])), controllers };
}
