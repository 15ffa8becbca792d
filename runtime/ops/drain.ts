/**
 * `fleet drain` / `fleet resume`: a host stops taking new jobs (busy VMs finish, idle ones go),
 * or takes them again, through the controller's admin endpoints. `--wait` follows /status
 * until the change has taken effect: no busy VMs left, or no longer draining.
 */
import type { StatusDocument } from "../controller/status-report.ts";
import { systemClock } from "../ports/clock.ts";
import { postAdmin, readStatus } from "./controller-client.ts";

export type DrainAction = "drain" | "resume";

export interface HostSummary {
  host: string;
  draining: boolean;
  drainingSince: string | null;
  /** VMs running a job (or finishing one). */
  busy: number;
  idle: number;
  starting: number;
}

export type DrainOutcome =
  | "done"
  | "dry-run"
  /** --wait ran out of time. */
  | "timeout"
  | "unreachable"
  /** The controller refused: bad token, or admin endpoints disabled. */
  | "refused";

export interface DrainResult {
  url: string;
  action: DrainAction;
  outcome: DrainOutcome;
  message: string;
  before?: HostSummary;
  after?: HostSummary;
  waitedMs?: number;
}

export function summarize(status: StatusDocument): HostSummary {
  const count = (phases: string[]) => status.vms.filter((vm) => phases.includes(vm.phase)).length;
  return {
    host: status.host,
    draining: status.controller.draining,
    drainingSince: status.controller.drainingSince,
    busy: count(["busy", "finished"]),
    idle: count(["idle"]),
    starting: count(["provisioning", "booting"]),
  };
}

/** What the action would do to a host in this state (the dry run's answer). */
export function describePlan(action: DrainAction, host: HostSummary): string {
  if (action === "resume") {
    return host.draining ? `would resume ${host.host}: it takes new jobs again and refills its warm pools` : `${host.host} is not draining: resume changes nothing`;
  }
  const already = host.draining ? ` (already draining since ${host.drainingSince})` : "";
  return `would drain ${host.host}${already}: no new jobs; ${host.busy} busy VM(s) finish their jobs; ${host.idle + host.starting} idle or starting VM(s) are removed`;
}

export interface DrainOptions {
  url: string;
  action: DrainAction;
  /** Required unless dryRun. */
  token?: string;
  dryRun: boolean;
  wait: boolean;
  waitTimeoutMs: number;
  pollMs?: number;
  requestTimeoutMs?: number;
  now?: () => number;
  /** Ends --wait early (Ctrl-C): the request has been made; the result says it has not settled. */
  signal?: AbortSignal;
  /** Each status read while waiting (the CLI's progress line). */
  onWaiting?: (host: HostSummary, waitedMs: number) => void;
}

/** Whether the host has reached what `action` asked for. */
export function settled(action: DrainAction, host: HostSummary): boolean {
  return action === "drain" ? host.draining && host.busy === 0 : !host.draining;
}

export async function drainOrResume(options: DrainOptions): Promise<DrainResult> {
  const { url, action } = options;
  const now = options.now ?? Date.now;
  const before = await readStatus(url, options.requestTimeoutMs);
  if (!before.ok) return { url, action, outcome: "unreachable", message: `cannot read ${url}/status: ${before.error}` };
  const summary = summarize(before.value);
  if (options.dryRun) return { url, action, outcome: "dry-run", message: describePlan(action, summary), before: summary };

  const answer = await postAdmin(url, action, options.token ?? "", options.requestTimeoutMs);
  if (!answer.ok) {
    if (answer.status === 401 || answer.status === 404) {
      const why = answer.status === 401 ? "the controller refused the admin token" : "the controller's admin endpoints are disabled (no adminToken in its config)";
      return { url, action, outcome: "refused", message: `${action} ${summary.host}: ${why}`, before: summary };
    }
    return { url, action, outcome: "unreachable", message: `${action} ${summary.host}: ${answer.error}`, before: summary };
  }
  const done = `${action === "drain" ? "draining" : "resumed"} ${summary.host}`;
  if (!options.wait) return { url, action, outcome: "done", message: done, before: summary };

  const started = now();
  let last = summary;
  for (;;) {
    const status = await readStatus(url, options.requestTimeoutMs);
    if (status.ok) {
      last = summarize(status.value);
      options.onWaiting?.(last, now() - started);
      if (settled(action, last)) {
        const what = action === "drain" ? "no busy VMs left" : "taking jobs again";
        return { url, action, outcome: "done", message: `${done}: ${what}`, before: summary, after: last, waitedMs: now() - started };
      }
    }
    if (now() - started >= options.waitTimeoutMs || options.signal?.aborted) {
      const still = action === "drain" ? `${last.busy} VM(s) still busy` : "still draining";
      const stopped = options.signal?.aborted ? "stopped waiting" : "timed out";
      return { url, action, outcome: "timeout", message: `${done}, but ${still} after ${Math.round((now() - started) / 1000)} s (${stopped})`, before: summary, after: last, waitedMs: now() - started };
    }
    await systemClock.sleep(options.pollMs ?? 1_000, options.signal);
  }
}
