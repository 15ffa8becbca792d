/**
 * `fleet doctor`: finds leftovers (doctor-plan.ts) and, with --apply, removes them
 * (doctor-apply.ts). Local leftovers are handled even when GitHub cannot be read; runner
 * registrations are then left alone.
 */
import type { ControllerConfig } from "../config/controller-config.ts";
import { ownerPrefix } from "../controller/naming.ts";
import { GitHubError, type GitHub, type RunnerInfo } from "../ports/github.ts";
import type { Hypervisor } from "../ports/hypervisor.ts";
import { applyDoctorPlan, type RemovalResult } from "./doctor-apply.ts";
import { planDoctor, type DoctorPlan } from "./doctor-plan.ts";
import { formatDuration } from "./duration.ts";
import { readLocalState } from "./local-state.ts";

export type DoctorVerdict = "clean" | "leftovers" | "cleaned" | "failed" | "unreachable";

export interface DoctorReport {
  host: string;
  apply: boolean;
  minAgeMs: number;
  github: { reachable: boolean; error: string | null };
  plan: DoctorPlan;
  results: RemovalResult[] | null;
  verdict: DoctorVerdict;
}

export interface DoctorOptions {
  config: ControllerConfig;
  hypervisor: Hypervisor;
  github: Pick<GitHub, "listRunners" | "deleteRunner">;
  now: () => number;
  minAgeMs: number;
  keepLogs: number;
  apply: boolean;
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { config } = options;
  let runners: RunnerInfo[] | undefined;
  let githubError: string | null = null;
  try {
    runners = await options.github.listRunners(ownerPrefix(config.namePrefix, config.host.name));
  } catch (error) {
    // Any GitHub answer but success leaves the runners unread; other errors are bugs.
    if (!(error instanceof GitHubError)) throw error;
    githubError = error.message;
  }
  const local = await readLocalState(config, options.hypervisor);
  const plan = planDoctor({ local, runners, now: options.now(), minAgeMs: options.minAgeMs, keepLogs: options.keepLogs });
  const results = options.apply ? await applyDoctorPlan(plan.remove, { config, hypervisor: options.hypervisor, github: options.github }) : null;
  let verdict: DoctorVerdict;
  if (githubError !== null) verdict = "unreachable";
  else if (results) verdict = results.some((r) => !r.removed && !r.gone) ? "failed" : plan.remove.length > 0 ? "cleaned" : "clean";
  else verdict = plan.remove.length > 0 ? "leftovers" : "clean";
  return { host: config.host.name, apply: options.apply, minAgeMs: options.minAgeMs, github: { reachable: githubError === null, error: githubError }, plan, results, verdict };
}

export function renderDoctor(report: DoctorReport): string {
  const lines: string[] = [];
  if (!report.github.reachable) lines.push(`GitHub unreachable (${report.github.error}): runner registrations not checked`);
  const done = new Map((report.results ?? []).map((r) => [`${r.kind}:${r.name}:${r.path ?? r.runnerId ?? ""}`, r]));
  for (const removal of report.plan.remove) {
    const age = removal.ageMs === undefined ? "" : `, ${formatDuration(removal.ageMs)} old`;
    const what = `${removal.kind} ${removal.path ?? removal.name}${removal.runnerId !== undefined ? ` (id ${removal.runnerId})` : ""}: ${removal.why}${age}`;
    if (!report.apply) {
      lines.push(`would remove ${what}`);
      continue;
    }
    const result = done.get(`${removal.kind}:${removal.name}:${removal.path ?? removal.runnerId ?? ""}`);
    if (result?.gone) lines.push(`already gone (the controller removed it since the plan was made): ${what}`);
    else lines.push(result?.removed ? `removed ${what}` : `NOT removed ${what}: ${result?.error ?? "?"}`);
  }
  for (const kept of report.plan.keep) lines.push(`kept ${kept.kind} ${kept.name}: ${kept.why}`);
  const summary: Record<DoctorVerdict, string> = {
    clean: "nothing to remove",
    leftovers: `${report.plan.remove.length} leftover(s); run with --apply to remove them`,
    cleaned: `${report.plan.remove.length} leftover(s) removed`,
    failed: "some leftovers could not be removed",
    unreachable: "GitHub could not be read",
  };
  lines.push(`host ${report.host}: ${summary[report.verdict]}`);
  return lines.join("\n") + "\n";
}
