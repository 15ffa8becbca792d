/**
 * `fleet health`: the local controller and libvirt state against GitHub's runner inventory.
 * GitHub's runners are read first and the local state after, so a VM that registers meanwhile
 * is not mistaken for a leftover.
 */
import type { ControllerConfig } from "../config/controller-config.ts";
import { ownerPrefix } from "../controller/naming.ts";
import { GitHubError, type GitHub, type RunnerInfo } from "../ports/github.ts";
import type { Hypervisor } from "../ports/hypervisor.ts";
import { readHealth } from "./controller-client.ts";
import { compareInventory, type Finding } from "./inventory-check.ts";
import { readLocalState } from "./local-state.ts";

export type HealthVerdict = "healthy" | "degraded" | "unreachable";

export interface HostHealthReport {
  host: string;
  verdict: HealthVerdict;
  strict: boolean;
  controller: { url: string; reachable: boolean; healthy: boolean; problems: string[]; error: string | null } | null;
  github: { reachable: boolean; error: string | null; runners: number };
  local: { domains: number; records: number; overlays: number; secrets: number; logs: number };
  findings: Finding[];
}

export interface HostHealthOptions {
  config: ControllerConfig;
  hypervisor: Hypervisor;
  github: Pick<GitHub, "listRunners">;
  /** The host's controller; undefined skips it. */
  controllerUrl?: string;
  strict: boolean;
}

export async function checkHostHealth(options: HostHealthOptions): Promise<HostHealthReport> {
  const { config } = options;
  const prefix = ownerPrefix(config.namePrefix, config.host.name);
  let runners: RunnerInfo[] | undefined;
  let githubError: string | null = null;
  try {
    runners = await options.github.listRunners(prefix);
  } catch (error) {
    // Any GitHub answer but success leaves the runners unread; other errors are bugs.
    if (!(error instanceof GitHubError)) throw error;
    githubError = error.message;
  }
  const local = await readLocalState(config, options.hypervisor);
  let controller: HostHealthReport["controller"] = null;
  if (options.controllerUrl !== undefined) {
    const answer = await readHealth(options.controllerUrl);
    controller = answer.ok
      ? { url: options.controllerUrl, reachable: true, healthy: answer.value.healthy, problems: answer.value.problems, error: null }
      : { url: options.controllerUrl, reachable: false, healthy: false, problems: [], error: answer.error };
  }
  const findings = compareInventory(local, runners);
  const failing = findings.some((f) => f.side === "local" || options.strict) || (controller !== null && controller.reachable && !controller.healthy);
  const verdict: HealthVerdict = githubError !== null || (controller !== null && !controller.reachable) ? "unreachable" : failing ? "degraded" : "healthy";
  return {
    host: config.host.name,
    verdict,
    strict: options.strict,
    controller,
    github: { reachable: githubError === null, error: githubError, runners: runners?.length ?? 0 },
    local: { domains: local.domains.length, records: local.records.size, overlays: local.overlays.length, secrets: local.secrets.length, logs: local.logs.length },
    findings,
  };
}

export function renderHostHealth(report: HostHealthReport): string {
  const lines = [`host ${report.host}: ${report.verdict}${report.strict ? " (strict)" : ""}`];
  if (report.controller) {
    const c = report.controller;
    lines.push(`controller ${c.url}: ${!c.reachable ? `unreachable (${c.error})` : c.healthy ? "healthy" : `degraded: ${c.problems.join("; ")}`}`);
  }
  lines.push(report.github.reachable ? `GitHub: ${report.github.runners} runner(s) with this host's prefix` : `GitHub: unreachable (${report.github.error})`);
  const l = report.local;
  lines.push(`local: ${l.records} record(s), ${l.domains} domain(s), ${l.overlays} overlay(s), ${l.secrets} secret file(s), ${l.logs} serial log(s)`);
  if (report.findings.length === 0) lines.push("findings: none");
  for (const f of report.findings) lines.push(`${f.side === "local" ? "LOCAL " : "GITHUB"} ${f.code}: ${f.message}`);
  return lines.join("\n") + "\n";
}
