/**
 * Trigger: a route mismatch. An untrusted run reached the fleet (seen on GitHub, or refused by
 * a controller's trust check), a run used the fleet while routing was off, or a trusted run of
 * a routed workflow ran hosted while routing was on. One is enough.
 */
import type { Refusal } from "./evidence.ts";
import type { MismatchKind, RunVerdict } from "./run-analysis.ts";
import type { Trigger } from "./trigger.ts";

const describe: Record<MismatchKind, string> = {
  "untrusted-on-self-hosted": "untrusted run on the fleet",
  "self-hosted-while-disabled": "run on the fleet while routing was off",
  "trusted-on-hosted": "trusted run ran on hosted runners while routing was on",
};

/** Shown at most this many, then "and N more": the message ends up in a repository variable. */
const listed = 5;

export function routeMismatchTrigger(
  verdicts: readonly RunVerdict[],
  refusals: readonly Refusal[],
  options: { since?: number } = {},
): Trigger | undefined {
  const after = (at: number) => options.since === undefined || at >= options.since;
  const items: string[] = [];
  const runs = new Set<string>();
  for (const verdict of verdicts) {
    if (verdict.mismatch === undefined || !after(verdict.createdAt)) continue;
    runs.add(`${verdict.repository}#${verdict.runId}`);
    items.push(`${verdict.repository} run ${verdict.runId} (${verdict.workflowName}, ${verdict.event}): ${describe[verdict.mismatch]} (${verdict.trustCode})`);
  }
  for (const refusal of refusals) {
    if (!after(refusal.at)) continue;
    if (refusal.repository !== undefined && refusal.runId !== undefined && runs.has(`${refusal.repository}#${refusal.runId}`)) continue;
    const run = refusal.runId !== undefined ? ` run ${refusal.runId}` : "";
    items.push(`${refusal.repository ?? "a repository"}${run}: untrusted job refused on ${refusal.vm} (host ${refusal.host})`);
  }
  if (items.length === 0) return undefined;
  const more = items.length > listed ? `; and ${items.length - listed} more` : "";
  return { kind: "route-mismatch", message: `${items.length} route mismatch(es): ${items.slice(0, listed).join("; ")}${more}` };
}
