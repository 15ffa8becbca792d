/**
 * `fleet labels lint`: checks workflows' runs-on against the label policy.
 * `fleet labels preflight`: the label set that covers the queued jobs, and the jobs no pool takes.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../../config/config-error.ts";
import { parseControllerConfig, type ControllerConfig } from "../../config/controller-config.ts";
import { formatFinding, lintWorkflow, type LintFinding } from "../../labels/lint.ts";
import { parseLabelPolicy, type LabelPolicy } from "../../labels/policy.ts";
import { preflight, type PreflightReport, type QueuedJob } from "../../labels/preflight.ts";
import { collectQueuedJobs, parseQueuedJobs } from "../../labels/queued-jobs.ts";
import { GitHubError } from "../../ports/github.ts";
import type { Command, CommandIO } from "../command.ts";
import { ExitCode, UsageError } from "../exit-codes.ts";
import { parseCommandLine } from "../flags.ts";

export const defaultPolicyPath = ".github/runner-fleet-labels.yml";
const defaultWorkflowPath = ".github/workflows";

const usage = `usage: fleet labels lint [--policy FILE] [--json] [PATHS...]
       fleet labels preflight --config FILE [--jobs FILE] [--policy FILE] [--json]

lint       checks the runs-on of workflow files against the label policy; PATHS are files or
           directories of *.yml/*.yaml (default ${defaultWorkflowPath}). Findings print as
           file:line:column: code: message.
preflight  from the queued jobs, prints the minimal label set that covers them, which pool
           (from the controller config) takes which job, and the jobs no pool or policy serves.

  --policy FILE   label policy, YAML or JSON (lint: default ${defaultPolicyPath};
                  preflight: only when given)
  --config FILE   controller config (JSON or YAML): its pools, repositories and GitHub access
  --jobs FILE     queued jobs from a file instead of GitHub: a JSON array of
                  {id, repository, labels}, or GitHub's {"jobs": [...]} response (only
                  status "queued" counts)
  --json          one JSON object on stdout

Exit codes: 0 clean, 3 findings (lint) or unservable jobs (preflight), 2 bad flags or files,
4 GitHub unreachable.`;

export const command: Command = {
  summary: "Lint workflows' runs-on against the label policy; preflight the labels queued jobs need",
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === "lint") return lint(rest, io);
    if (sub === "preflight") return runPreflight(rest, io);
    throw new UsageError(sub === undefined ? "expected a subcommand: lint or preflight" : `unknown subcommand "${sub}"`);
  },
};

const flags = parseCommandLine;

async function lint(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = flags(argv, { policy: { type: "string" }, json: { type: "boolean" } }, true);
  const policy = readLabelPolicy(typeof values.policy === "string" ? values.policy : undefined);
  const files = workflowFiles(positionals.length > 0 ? positionals : [defaultWorkflowPath]);
  const findings: LintFinding[] = [];
  for (const file of files) findings.push(...lintWorkflow(readText("workflow", file), file, policy));

  if (values.json === true) {
    io.stdout.write(JSON.stringify({ ok: findings.length === 0, files, findings }) + "\n");
  } else {
    for (const finding of findings) io.stdout.write(formatFinding(finding) + "\n");
    const withFindings = new Set(findings.map((f) => f.file)).size;
    io.stdout.write(
      findings.length === 0
        ? `${files.length} workflow file(s) clean\n`
        : `${findings.length} finding(s) in ${withFindings} of ${files.length} workflow file(s)\n`,
    );
  }
  return findings.length === 0 ? ExitCode.ok : ExitCode.degraded;
}

async function runPreflight(argv: string[], io: CommandIO): Promise<number> {
  const { values } = flags(
    argv,
    { config: { type: "string" }, jobs: { type: "string" }, policy: { type: "string" }, json: { type: "boolean" } },
    false,
  );
  if (typeof values.config !== "string") throw new UsageError("--config FILE is required");
  const config = readConfig(values.config);
  const policy = typeof values.policy === "string" ? readLabelPolicy(values.policy) : undefined;
  const jobs = await queuedJobs(config, typeof values.jobs === "string" ? values.jobs : undefined, io);
  if (jobs === undefined) return ExitCode.unreachable;

  const report = preflight({ jobs, pools: config.pools.map((p) => ({ name: p.name, labels: p.labels })), ...(policy ? { policy } : {}) });
  if (values.json === true) io.stdout.write(JSON.stringify(report) + "\n");
  else io.stdout.write(formatReport(report));
  return report.unservable.length === 0 ? ExitCode.ok : ExitCode.degraded;
}

/** Queued jobs from --jobs, or else from GitHub (undefined, after saying why, when unreachable). */
async function queuedJobs(config: ControllerConfig, jobsFile: string | undefined, io: CommandIO): Promise<QueuedJob[] | undefined> {
  if (jobsFile !== undefined) {
    try {
      return parseQueuedJobs(parseStructured("--jobs", jobsFile), `--jobs ${jobsFile}`);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  }
  const { opsGitHub } = await import("../../ops/github-client.ts");
  const github = opsGitHub(config);
  try {
    return await collectQueuedJobs(github, config.github.repositories);
  } catch (error) {
    if (!(error instanceof GitHubError)) throw error;
    io.stderr.write(`fleet labels preflight: cannot read queued jobs from ${config.github.apiUrl}: ${error.message}\n`);
    return undefined;
  }
}

function formatReport(report: PreflightReport): string {
  const lines = [
    `queued jobs: ${report.jobs} (${report.hostedJobs} for GitHub-hosted runners)`,
    `labels covering the fleet's jobs: ${report.labels.length === 0 ? "(none)" : report.labels.join(", ")}`,
    ...report.pools.map((pool) => `pool ${pool.name}: can take ${pool.jobs.length} job(s)`),
  ];
  if (report.unservable.length > 0) {
    lines.push(`unservable jobs: ${report.unservable.length}`);
    for (const job of report.unservable) lines.push(`  ${job.repository || "?"} job ${job.id}: ${job.code}: ${job.message}`);
  }
  return lines.join("\n") + "\n";
}

function readText(what: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`${what} ${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

function parseStructured(flag: string, file: string): unknown {
  const text = readText(flag, file);
  try {
    return parseYaml(text) as unknown;
  } catch (error) {
    throw new UsageError(`${flag} ${file}: not valid YAML or JSON (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`);
  }
}

function readLabelPolicy(file: string | undefined): LabelPolicy {
  const path = file ?? defaultPolicyPath;
  if (file === undefined && !existsSync(path)) {
    throw new UsageError(`no label policy: pass --policy FILE or create ${defaultPolicyPath}`);
  }
  try {
    return parseLabelPolicy(parseStructured("--policy", path), `--policy ${path}`);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function readConfig(file: string): ControllerConfig {
  try {
    return parseControllerConfig(parseStructured("--config", file), `--config ${file}`);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** Files as given; directories contribute their *.yml and *.yaml files (not recursive), sorted. */
function workflowFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (error) {
      throw new UsageError(`${path}: no such file or directory (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const entries = readdirSync(path, { withFileTypes: true })
      .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
      .map((entry) => join(path, entry.name))
      .sort();
    files.push(...entries);
  }
  return files;
}
