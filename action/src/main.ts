/**
 * The routing Action's entry (bundled to action/dist/index.cjs). Reads the inputs and the
 * event, writes the outputs `runs-on` (JSON for `fromJSON`), `route`, `reason` and
 * `reason-message`, and one job summary line.
 *
 * It never fails the step over a routing problem: any error yields the hosted route, so the
 * jobs that follow still run on GitHub-hosted runners. It fails only if it cannot write its
 * outputs at all, because then the following jobs could not run anywhere.
 */
import * as core from "@actions/core";
import { readFileSync } from "node:fs";
import type { RouteDecision } from "../../runtime/routing/decide.ts";
import { defaultHostedRunsOn } from "../../runtime/routing/policy.ts";
import { inputNames, type ActionInputs } from "./inputs.ts";
import { routeForAction, type ActionResult } from "./route-action.ts";
import { summaryLine } from "./summary.ts";

function readInputs(): ActionInputs {
  const read = (name: string): string => core.getInput(name, { trimWhitespace: false });
  return {
    routingVariable: read(inputNames.routingVariable),
    selfHostedLabels: read(inputNames.selfHostedLabels),
    hostedRunsOn: read(inputNames.hostedRunsOn),
    mergeGroup: read(inputNames.mergeGroup),
    pushToDefaultBranch: read(inputNames.pushToDefaultBranch),
    trustedAssociations: read(inputNames.trustedAssociations),
  };
}

function decide(): ActionResult {
  try {
    return routeForAction(readInputs(), {
      name: process.env.GITHUB_EVENT_NAME,
      path: process.env.GITHUB_EVENT_PATH,
      readEvent: (path) => readFileSync(path, "utf8"),
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const decision: RouteDecision = {
      route: "hosted",
      runsOn: defaultHostedRunsOn,
      reason: { code: "internal-error", message: `routing failed, using hosted runners: ${detail}` },
    };
    return { decision, warnings: [`runner-fleet routing: ${detail}`] };
  }
}

async function main(): Promise<void> {
  const { decision, warnings } = decide();
  for (const warning of warnings) core.warning(warning);
  try {
    core.setOutput("runs-on", JSON.stringify(decision.runsOn));
    core.setOutput("route", decision.route);
    core.setOutput("reason", decision.reason.code);
    core.setOutput("reason-message", decision.reason.message);
  } catch (error) {
    core.setFailed(`cannot write the Action's outputs: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  core.info(`route: ${decision.route}, runs-on: ${JSON.stringify(decision.runsOn)} (${decision.reason.code}: ${decision.reason.message})`);
  try {
    await core.summary.addRaw(summaryLine(decision)).write();
  } catch (error) {
    // No summary file (e.g. an old runner) is not a reason to block CI.
    core.warning(`runner-fleet routing: cannot write the job summary: ${error instanceof Error ? error.message : String(error)}`);
  }
}

void main();
