/**
 * `fleet rollback` / `fleet restore`: set the routing variable of each repository by hand, and
 * record who and why (the same record the guard writes, with source "operator"). An operator's
 * rollback is never undone by the guard; only `fleet restore` undoes it.
 */
import { hostname, userInfo } from "node:os";
import type { GitHub } from "../ports/github.ts";
import type { FleetOctokit } from "../github/octokit-github.ts";
import { assessFleet, type GuardSources } from "../guard/collect.ts";
import type { RoutingChange } from "../guard/routing-change.ts";
import { readRoutingState, writeRoutingChange } from "../guard/routing-variables.ts";
import { isGitHubUnavailable } from "./github-client.ts";

export interface SwitchResult {
  repository: string;
  /** The variable before (null: it did not exist; "(unknown)": it could not be read). */
  before: string | null;
  after: "true" | "false";
  written: boolean;
  error?: string;
  /** True when the write failed because GitHub could not be reached or would not answer now. */
  unavailable?: boolean;
  change: RoutingChange;
}

export interface SwitchOptions {
  octokit: FleetOctokit;
  github: Pick<GitHub, "setVariable">;
  repositories: readonly string[];
  to: "true" | "false";
  reason: string;
  by: string;
  dryRun: boolean;
  now: () => number;
}

/** `alice@ops-host (fleet rollback)`: who, from where, with what. */
export function operatorName(command: string): string {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where it came from.
  }
  return `${user}@${hostname()} (fleet ${command})`;
}

export function operatorChange(to: "true" | "false", reason: string, by: string, at: number): RoutingChange {
  // An operator's rollback holds until an operator restores; the guard must not undo it.
  return { value: to, reason, triggers: [], at, by, source: "operator", autoRestore: to === "false" ? "disabled" : "allowed" };
}

/** Reads each repository's current value, then (unless dry run) writes the change. Never throws for one repository's write. */
export async function switchRouting(options: SwitchOptions): Promise<SwitchResult[]> {
  const results: SwitchResult[] = [];
  for (const repository of options.repositories) {
    // The value before is for the report only: failing to read it must not block a rollback.
    const before = await readRoutingState(options.octokit, repository).then(
      (state) => state.value ?? null,
      () => "(unknown)",
    );
    const change = operatorChange(options.to, options.reason, options.by, options.now());
    const result: SwitchResult = { repository, before, after: options.to, written: false, change };
    if (!options.dryRun) {
      try {
        await writeRoutingChange(options.github, repository, change);
        result.written = true;
      } catch (error) {
        result.error = error instanceof Error ? error.message : String(error);
        result.unavailable = isGitHubUnavailable(error);
      }
    }
    results.push(result);
  }
  return results;
}

export function renderSwitch(results: readonly SwitchResult[], dryRun: boolean): string {
  return (
    results
      .map((r) => {
        const from = r.before === null ? "unset" : JSON.stringify(r.before);
        if (r.error) return `${r.repository}: FAILED to set routing ${from} -> "${r.after}": ${r.error}`;
        return `${r.repository}: routing ${from} -> "${r.after}"${dryRun ? " (dry run: not changed)" : ""}`;
      })
      .join("\n") + "\n"
  );
}

export interface ActiveTrigger {
  repository: string;
  kind: string;
  message: string;
}

/** What `fleet restore` checks first: the guard's triggers per repository, counting evidence since its last change. */
export async function restoreCheck(sources: GuardSources & { repositories: readonly string[] }): Promise<ActiveTrigger[]> {
  const assessment = await assessFleet(sources);
  return assessment.repositories.flatMap((r) => r.decision.triggers.map((t) => ({ repository: r.repository, kind: t.kind, message: t.message })));
}
