/** `fleet guard`: one guard round, as the controller's loop runs it; a dry run unless --apply. */
import { hostname } from "node:os";
import { join } from "node:path";
import type { Command } from "../command.ts";
import { ExitCode } from "../exit-codes.ts";
import { applyAssessment, type AppliedChange } from "../../guard/apply.ts";
import { assessFleet } from "../../guard/collect.ts";
import { RunReader } from "../../guard/github-runs.ts";
import { defaultGuardConfig } from "../../guard/guard-config.ts";
import { guardMemoryFileName } from "../../guard/guard-loop.ts";
import { guardMemoryFile } from "../../guard/guard-memory.ts";
import { systemClock } from "../../ports/clock.ts";
import { configControllers, loadConfig, writeJson } from "../../ops/command-input.ts";
import { parseFlags } from "../flags.ts";
import { gitHubFailure, opsGitHub } from "../../ops/github-client.ts";
import { guardReport, renderGuardReport } from "../../ops/guard-report.ts";

const usage = `usage: fleet guard [--config FILE] [--controller URL ...] [--apply] [--json]

Evaluates the rollback triggers once (boot failures, queue wait, offline controllers, route
mismatches) for every repository the guard manages, and says what it would do. With --apply it
does it: rolls back (CI_SELF_HOSTED_TRUSTED_ROUTING=false, reason recorded in
CI_SELF_HOSTED_ROUTING_CHANGE) or, when auto-restore is configured and due, restores.

  --config FILE     controller config (default /etc/runner-fleet/controller.json); its guard section
  --controller URL  controllers to read (repeatable); default: this host and guard.controllers
  --apply           change routing; without it nothing is written to GitHub
  --json            the full report as JSON

Exit codes: 0 no trigger, 3 a trigger is active (a rollback is or would be done, or routing is
already off), 4 GitHub unreachable or rate limited, 1 a change could not be written, 2 bad flags or config.`;

export const command: Command = {
  summary: "evaluate the routing guard's rollback triggers once (dry run unless --apply)",
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      config: { type: "string" },
      controller: { type: "string", multiple: true },
      apply: { type: "boolean" },
      json: { type: "boolean" },
    });
    const config = await loadConfig(flags.config);
    const guard = config.guard ?? defaultGuardConfig;
    const controllerUrls = configControllers(config, flags.controller);
    const github = opsGitHub(config);
    const memory = guardMemoryFile(join(config.paths.state, guardMemoryFileName));
    let applied: AppliedChange[] | undefined;
    let assessment;
    try {
      assessment = await assessFleet({ config, guard, octokit: github.octokit, runs: new RunReader(github.octokit), clock: systemClock, memory, controllerUrls });
      if (flags.apply) applied = await applyAssessment(github, assessment, { by: `fleet guard on ${hostname()}`, now: () => Date.now() });
    } catch (error) {
      return gitHubFailure(error, "guard", config.github.apiUrl, io.stderr);
    }
    const report = guardReport(assessment, applied);
    if (flags.json) writeJson(io.stdout, report);
    else io.stdout.write(renderGuardReport(report));
    if (applied?.some((a) => a.error !== undefined)) return ExitCode.error;
    return report.repositories.some((r) => r.triggers.length > 0) ? ExitCode.degraded : ExitCode.ok;
  },
};
