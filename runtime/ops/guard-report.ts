/** What `fleet guard` (and `fleet restore`'s check) prints: per repository, state, triggers and action. */
import type { AppliedChange } from "../guard/apply.ts";
import type { FleetAssessment } from "../guard/collect.ts";
import type { Trigger } from "../guard/trigger.ts";

export interface GuardReport {
  at: string;
  applied: boolean;
  controllers: { url: string; host: string | null; reachable: boolean; error: string | null }[];
  runsAnalysed: number;
  repositories: {
    repository: string;
    variable: string | null;
    variableUpdatedAt: string | null;
    lastChange: { value: string; reason: string; at: string; by: string; source: string; autoRestore: string } | null;
    invalidRecord: string | null;
    state: string;
    triggers: Trigger[];
    action: string;
    reason: string;
    /** Set when --apply wrote a change (or tried to). */
    change: { written: boolean; error: string | null } | null;
  }[];
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function guardReport(assessment: FleetAssessment, applied: readonly AppliedChange[] | undefined): GuardReport {
  return {
    at: new Date(assessment.at).toISOString(),
    applied: applied !== undefined,
    controllers: assessment.evidence.controllers.map((c) => ({ url: c.url, host: c.host ?? null, reachable: c.status !== undefined, error: c.error ?? null })),
    runsAnalysed: assessment.evidence.runs?.length ?? 0,
    repositories: assessment.repositories.map(({ repository, routing, decision }) => {
      const write = applied?.find((a) => a.repository === repository);
      const change = routing.change;
      return {
        repository,
        variable: routing.value ?? null,
        variableUpdatedAt: iso(routing.updatedAt),
        lastChange: change ? { value: change.value, reason: change.reason, at: new Date(change.at).toISOString(), by: change.by, source: change.source, autoRestore: change.autoRestore } : null,
        invalidRecord: routing.invalidRecord ?? null,
        state: decision.state,
        triggers: decision.triggers,
        action: decision.action,
        reason: decision.reason,
        change: write ? { written: write.error === undefined, error: write.error ?? null } : null,
      };
    }),
  };
}

export function renderGuardReport(report: GuardReport): string {
  const lines: string[] = [];
  for (const c of report.controllers) lines.push(`controller ${c.host ?? c.url}: ${c.reachable ? "reachable" : `unreachable (${c.error ?? "?"})`}`);
  lines.push(`workflow runs analysed: ${report.runsAnalysed}`);
  for (const r of report.repositories) {
    lines.push("");
    lines.push(`${r.repository}: routing ${r.variable === null ? "unset" : JSON.stringify(r.variable)} (${r.state})`);
    if (r.lastChange) lines.push(`  last change: ${r.lastChange.value} at ${r.lastChange.at} by ${r.lastChange.by}: ${r.lastChange.reason}`);
    if (r.invalidRecord) lines.push(`  change record unreadable: ${r.invalidRecord}`);
    if (r.triggers.length === 0) lines.push("  triggers: none");
    for (const t of r.triggers) lines.push(`  trigger ${t.kind}: ${t.message}`);
    const verb = r.action === "none" ? "no action" : report.applied ? r.action : `would ${r.action} (dry run; --apply to act)`;
    lines.push(`  ${verb}: ${r.reason}`);
    if (r.change?.error) lines.push(`  FAILED to write the change: ${r.change.error}`);
  }
  return lines.join("\n") + "\n";
}
