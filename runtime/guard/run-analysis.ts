/**
 * Where a workflow run should have run, and where it did: the routing decision recomputed from
 * the run's context (`decideRoute`, the routing Action's own function) against its jobs'
 * placement. Pure: the facts come from GitHub through github-runs.ts.
 *
 * Trust is decided with the variable forced to `true` (is this run trusted at all?); the
 * variable's value *at the time* decides whether a trusted run was due on the fleet. GitHub
 * tells us when the variable last changed (`updated_at`): runs created after that saw today's
 * value; for older runs it is unknown, and only "untrusted on the fleet" can be judged.
 */
import { canServe, hasLabel } from "../labels/label-set.ts";
import { decideRoute, routingEnabled } from "../routing/decide.ts";
import type { RoutingPolicy } from "../routing/policy.ts";

export interface RunJobFacts {
  id: number;
  labels: string[];
  status: string;
  conclusion: string | null;
  runnerName: string | null;
  createdAt: number;
}

/** A workflow run as the guard needs it (from `GET .../actions/runs`, its jobs and its pull request). */
export interface RunFacts {
  repository: string;
  runId: number;
  /** The workflow's path without `@ref` (`.github/workflows/ci.yml`), else its name. */
  workflow: string;
  workflowName: string;
  event: string;
  createdAt: number;
  status: string;
  conclusion: string | null;
  repositoryId: number;
  defaultBranch?: string;
  /** Null when the head repository was deleted. */
  headRepository: { id: number; fullName: string } | null;
  headBranch: string | null;
  actor: { login: string; type: string };
  /** Same-repository pull request of the run, with its author association when it could be read. */
  pullRequest?: { number: number; authorAssociation?: string };
  jobs: RunJobFacts[];
}

/** What identifies the fleet's runners and the jobs they can take. */
export interface FleetIdentity {
  /** Runner names of every host start with this (`${namePrefix}-`). */
  runnerPrefix: string;
  /** Label sets of the fleet's pools (GitHub's read-only labels are added when matching). */
  poolLabels: string[][];
}

export type RunTrust = "trusted" | "untrusted" | "unknown";
export type Placement = "fleet" | "hosted" | "none";
export type VariableAtRun = "true" | "false" | "unknown";
export type Expected = "self-hosted" | "hosted" | "either";
export type MismatchKind = "untrusted-on-self-hosted" | "self-hosted-while-disabled" | "trusted-on-hosted";

export interface RunVerdict {
  repository: string;
  runId: number;
  workflow: string;
  workflowName: string;
  event: string;
  createdAt: number;
  completed: boolean;
  conclusion: string | null;
  trust: RunTrust;
  /** The routing reason code (or `association-unknown` etc. when trust is unknown). */
  trustCode: string;
  placement: Placement;
  /** Jobs of this run on the fleet (running, done or queued for it). */
  fleetJobs: number[];
  variable: VariableAtRun;
  expected: Expected;
  /** Set by `findMismatches` (it needs every run to know which workflows are routed). */
  mismatch?: MismatchKind;
}

/** Labels GitHub gives every self-hosted runner besides its own (OS and architecture vary). */
const readOnlyLabels = ["self-hosted", "linux", "x64", "arm64"];

/** Runs created within this long after the variable changed may have read either value. */
export const variableChangeMarginMs = 1_000;

export function isFleetJob(job: RunJobFacts, fleet: FleetIdentity): boolean {
  if (job.runnerName !== null && job.runnerName !== "") return job.runnerName.startsWith(fleet.runnerPrefix);
  if (job.status !== "queued" && job.status !== "waiting") return false;
  // Not yet assigned: it will land on the fleet if a pool can take it.
  return hasLabel(job.labels, "self-hosted") && fleet.poolLabels.some((labels) => canServe([...labels, ...readOnlyLabels], job.labels));
}

function ranHosted(job: RunJobFacts, fleet: FleetIdentity): boolean {
  if (job.conclusion === "skipped" || job.runnerName === null || job.runnerName === "") return false;
  return !job.runnerName.startsWith(fleet.runnerPrefix) && !hasLabel(job.labels, "self-hosted");
}

/** Is the run trusted (ignoring the variable)? Unknown when a fact the decision needs is missing. */
export function runTrust(run: RunFacts, policy?: RoutingPolicy): { trust: RunTrust; code: string } {
  const repository = { id: run.repositoryId, full_name: run.repository, ...(run.defaultBranch ? { default_branch: run.defaultBranch } : {}) };
  const sender = { login: run.actor.login, type: run.actor.type };
  const decide = (payload: unknown) => decideRoute(run.event, payload, "true", policy);
  if (run.event === "pull_request") {
    const head = run.headRepository === null ? null : { id: run.headRepository.id, full_name: run.headRepository.fullName };
    const payload = (association: string) => ({
      repository,
      sender,
      pull_request: { base: { repo: { id: run.repositoryId, full_name: run.repository } }, head: { repo: head }, author_association: association },
    });
    const association = run.pullRequest?.authorAssociation;
    if (association !== undefined) return verdictOf(decide(payload(association)));
    // Without the association: whatever fails before it (fork, bot) still proves untrust.
    const probe = decide(payload("NONE"));
    if (probe.reason.code !== "untrusted-association") return verdictOf(probe);
    return { trust: "unknown", code: "association-unknown" };
  }
  const branchRef = run.headBranch === null ? undefined : `refs/heads/${run.headBranch}`;
  if (run.event === "push") {
    if (branchRef === undefined || run.defaultBranch === undefined) {
      const probe = decide({});
      return probe.reason.code === "event-not-trusted" ? verdictOf(probe) : { trust: "unknown", code: "context-incomplete" };
    }
    return verdictOf(decide({ ref: branchRef, repository, sender }));
  }
  if (run.event === "merge_group") {
    if (branchRef === undefined) {
      const probe = decide({});
      return probe.reason.code === "event-not-trusted" ? verdictOf(probe) : { trust: "unknown", code: "context-incomplete" };
    }
    return verdictOf(decide({ action: "checks_requested", merge_group: { head_ref: branchRef }, repository, sender }));
  }
  return verdictOf(decide({ repository, sender }));
}

function verdictOf(decision: ReturnType<typeof decideRoute>): { trust: RunTrust; code: string } {
  return { trust: decision.route === "self-hosted" ? "trusted" : "untrusted", code: decision.reason.code };
}

/** The variable's value when the run started, when GitHub's `updated_at` makes it certain. */
export function variableAtRun(createdAt: number, variable: { value: string | undefined; updatedAt: number | undefined }): VariableAtRun {
  if (variable.updatedAt === undefined || createdAt < variable.updatedAt + variableChangeMarginMs) return "unknown";
  return routingEnabled(variable.value) ? "true" : "false";
}

export function analyseRun(
  run: RunFacts,
  context: { fleet: FleetIdentity; policy?: RoutingPolicy; variable: { value: string | undefined; updatedAt: number | undefined } },
): RunVerdict {
  const { trust, code } = runTrust(run, context.policy);
  const fleetJobs = run.jobs.filter((job) => isFleetJob(job, context.fleet)).map((job) => job.id);
  const placement: Placement = fleetJobs.length > 0 ? "fleet" : run.jobs.some((job) => ranHosted(job, context.fleet)) ? "hosted" : "none";
  const variable = variableAtRun(run.createdAt, context.variable);
  const expected: Expected =
    trust === "untrusted" || variable === "false" ? "hosted" : trust === "trusted" && variable === "true" ? "self-hosted" : "either";
  return {
    repository: run.repository,
    runId: run.runId,
    workflow: run.workflow,
    workflowName: run.workflowName,
    event: run.event,
    createdAt: run.createdAt,
    completed: run.status === "completed",
    conclusion: run.conclusion,
    trust,
    trustCode: code,
    placement,
    fleetJobs,
    variable,
    expected,
  };
}

/**
 * Marks mismatches. Untrusted runs on the fleet, and any run on the fleet while routing was
 * off, always count. "Trusted but hosted" counts only for completed, not-cancelled runs of
 * workflows that route their jobs: the configured ones, else those seen using the fleet (a
 * workflow that never routes, a linter say, runs hosted by design).
 */
export function findMismatches(
  verdicts: readonly RunVerdict[],
  options: { routedWorkflows?: readonly string[] } = {},
): RunVerdict[] {
  const routed = new Set(
    options.routedWorkflows !== undefined
      ? options.routedWorkflows.map((w) => w.replace(/@.*$/, ""))
      : verdicts.filter((v) => v.placement === "fleet").map((v) => v.workflow),
  );
  const isRouted = (v: RunVerdict) => routed.has(v.workflow) || routed.has(v.workflowName);
  return verdicts.map((verdict) => {
    const marked: RunVerdict = { ...verdict };
    delete marked.mismatch;
    if (verdict.placement === "fleet" && verdict.trust === "untrusted") marked.mismatch = "untrusted-on-self-hosted";
    else if (verdict.placement === "fleet" && verdict.variable === "false") marked.mismatch = "self-hosted-while-disabled";
    else if (
      verdict.placement === "hosted" &&
      verdict.expected === "self-hosted" &&
      verdict.completed &&
      verdict.conclusion !== "cancelled" &&
      isRouted(verdict)
    ) {
      marked.mismatch = "trusted-on-hosted";
    }
    return marked;
  });
}
