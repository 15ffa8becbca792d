/** `fleet canary`: the rollout stage of trusted routing against its success criteria. */
import type { Command } from "../command.ts";
import { ExitCode, UsageError } from "../exit-codes.ts";
import { RunReader } from "../../guard/github-runs.ts";
import { defaultGuardConfig } from "../../guard/guard-config.ts";
import { evaluateCanary, renderCanary } from "../../ops/canary.ts";
import { collectCanaryFacts } from "../../ops/canary-collect.ts";
import { configControllers, loadConfig, writeJson } from "../../ops/command-input.ts";
import { parseFlags } from "../flags.ts";
import { gitHubFailure, opsGitHub } from "../../ops/github-client.ts";

const usage = `usage: fleet canary [--config FILE] [--controller URL ...] [--runs 100] [--json]

Reports the rollout stage of trusted routing (trusted PR runs on the fleet so far, against the
stages 1, 10, 25, then all trusted PRs) and the success criteria over the latest 50 trusted runs:
lifecycle success ≥ 98%, routing correctness 100%, p95 queue wait ≤ 120 s, p95 setup ≤ 180 s.

  --config FILE     controller config (default /etc/runner-fleet/controller.json): GitHub access,
                    repositories (guard.repositories or github.repositories), routing policy
  --controller URL  controllers whose jobs are judged (repeatable); default: this host and guard.controllers
  --runs N          latest workflow runs read per repository (default 100, at most 100)
  --json            the report as JSON

Exit codes: 0 the criteria hold, 3 a criterion fails, 5 not enough data to judge (no trusted
runs yet, or a criterion without data), 4 GitHub or a controller unreachable, 2 bad flags or config.`;

export const command: Command = {
  summary: "rollout stage of trusted routing against its success criteria",
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      config: { type: "string" },
      controller: { type: "string", multiple: true },
      runs: { type: "string" },
      json: { type: "boolean" },
    });
    const runsPerRepository = Number(flags.runs ?? "100");
    if (!Number.isInteger(runsPerRepository) || runsPerRepository < 1 || runsPerRepository > 100) throw new UsageError(`--runs ${JSON.stringify(flags.runs)}: expected a whole number from 1 to 100`);
    const config = await loadConfig(flags.config);
    const guard = config.guard ?? defaultGuardConfig;
    const github = opsGitHub(config);
    let facts;
    try {
      facts = await collectCanaryFacts({ config, guard, octokit: github.octokit, runs: new RunReader(github.octokit), controllerUrls: configControllers(config, flags.controller), runsPerRepository });
    } catch (error) {
      return gitHubFailure(error, "canary", config.github.apiUrl, io.stderr);
    }
    const report = evaluateCanary(facts);
    const unreachable = facts.controllers.filter((c) => !c.status);
    if (flags.json) writeJson(io.stdout, { ...report, controllers: facts.controllers.map((c) => ({ url: c.url, host: c.host ?? null, reachable: c.status !== undefined, error: c.error ?? null })) });
    else io.stdout.write(renderCanary(report) + unreachable.map((c) => `controller ${c.url} unreachable (${c.error}): its jobs are missing from the criteria\n`).join(""));
    if (report.verdict === "fail") return ExitCode.degraded;
    if (unreachable.length > 0) return ExitCode.unreachable;
    return report.verdict === "pass" ? ExitCode.ok : ExitCode.refused;
  },
};
