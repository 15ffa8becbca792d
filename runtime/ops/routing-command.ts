/** The shared body of `fleet rollback` and `fleet restore`. */
import { join } from "node:path";
import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { guardRepositories } from "../guard/collect.ts";
import { RunReader } from "../guard/github-runs.ts";
import { defaultGuardConfig } from "../guard/guard-config.ts";
import { guardMemoryFileName } from "../guard/guard-loop.ts";
import { guardMemoryFile } from "../guard/guard-memory.ts";
import { systemClock } from "../ports/clock.ts";
import { configControllers, loadConfig, repositoryFlags, writeJson } from "./command-input.ts";
import { parseFlags } from "../cli/flags.ts";
import { gitHubFailure, opsGitHub } from "./github-client.ts";
import { operatorName, renderSwitch, restoreCheck, switchRouting, type ActiveTrigger } from "./routing-switch.ts";

type Direction = "rollback" | "restore";

const texts: Record<Direction, { summary: string; body: string }> = {
  rollback: {
    summary: "send every run to hosted runners: set CI_SELF_HOSTED_TRUSTED_ROUTING=false, recording why",
    body: `Sets CI_SELF_HOSTED_TRUSTED_ROUTING=false in each repository and records the reason in
CI_SELF_HOSTED_ROUTING_CHANGE. Runs that start afterwards go to hosted runners. Acts by default
(it is the safe direction); the guard never undoes an operator's rollback.`,
  },
  restore: {
    summary: "turn trusted routing back on (refused while the guard's triggers are active)",
    body: `Sets CI_SELF_HOSTED_TRUSTED_ROUTING=true in each repository and records the reason. Refuses
(exit 5) while any of the guard's triggers is active, counting evidence since the last change,
unless --force.`,
  },
};

export function routingCommand(direction: Direction): Command {
  const forceFlag = direction === "restore" ? "\n  --force           restore even while triggers are active" : "";
  const controllerFlag = direction === "restore" ? "\n  --controller URL  controllers the trigger check reads (default: this host and guard.controllers)" : "";
  const usage = `usage: fleet ${direction} --reason TEXT [--config FILE] [--repo owner/name ...] [--dry-run]${direction === "restore" ? " [--force]" : ""} [--json]

${texts[direction].body}

  --reason TEXT     why (required; recorded with the change)
  --config FILE     controller config (default /etc/runner-fleet/controller.json): GitHub access
  --repo owner/name repository to change (repeatable); default: guard.repositories or github.repositories${controllerFlag}
  --dry-run         show the change; write nothing${forceFlag}
  --json            the result as JSON

Exit codes: 0 done (or dry run), ${direction === "restore" ? "5 refused: triggers active, " : ""}4 GitHub unreachable or rate limited,
1 a write failed, 2 bad flags or config.`;

  return {
    summary: texts[direction].summary,
    usage,
    async run(argv, io) {
      const flags = parseFlags(argv, {
        reason: { type: "string" },
        config: { type: "string" },
        repo: { type: "string", multiple: true },
        "dry-run": { type: "boolean" },
        json: { type: "boolean" },
        ...(direction === "restore" ? { force: { type: "boolean" as const }, controller: { type: "string" as const, multiple: true } } : {}),
      });
      const reason = typeof flags.reason === "string" ? flags.reason.trim() : "";
      if (reason === "") throw new UsageError("--reason TEXT is required: the change is recorded with why it was made");
      const config = await loadConfig(flags.config as string | undefined);
      const guard = config.guard ?? defaultGuardConfig;
      const repositories = repositoryFlags(flags.repo as string[] | undefined, guardRepositories(config, guard));
      const dryRun = flags["dry-run"] === true;
      const github = opsGitHub(config);
      try {
        let triggers: ActiveTrigger[] = [];
        if (direction === "restore") {
          triggers = await restoreCheck({
            config,
            guard,
            octokit: github.octokit,
            runs: new RunReader(github.octokit),
            clock: systemClock,
            memory: guardMemoryFile(join(config.paths.state, guardMemoryFileName)),
            controllerUrls: configControllers(config, flags.controller as string[] | undefined),
            repositories,
          });
          if (triggers.length > 0 && flags.force !== true) {
            if (flags.json) writeJson(io.stdout, { refused: true, triggers });
            io.stderr.write(`fleet restore: refused: the guard's triggers are active (--force to restore anyway):\n${triggers.map((t) => `  ${t.repository}: ${t.kind}: ${t.message}\n`).join("")}`);
            return ExitCode.refused;
          }
        }
        const results = await switchRouting({ octokit: github.octokit, github, repositories, to: direction === "rollback" ? "false" : "true", reason, by: operatorName(direction), dryRun, now: () => Date.now() });
        if (flags.json) writeJson(io.stdout, { dryRun, results, ...(direction === "restore" ? { forcedPast: triggers } : {}) });
        else io.stdout.write(renderSwitch(results, dryRun));
        if (results.some((r) => r.unavailable)) return ExitCode.unreachable;
        return results.some((r) => r.error !== undefined) ? ExitCode.error : ExitCode.ok;
      } catch (error) {
        return gitHubFailure(error, direction, config.github.apiUrl, io.stderr);
      }
    },
  };
}
