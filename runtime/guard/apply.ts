/**
 * Carrying out the guard's decisions: a rollback or restore becomes a routing change on GitHub
 * (variable, then record). Each repository is changed on its own; one failure does not stop
 * the others, and is reported.
 */
import type { GitHub } from "../ports/github.ts";
import type { FleetAssessment } from "./collect.ts";
import type { RoutingChange } from "./routing-change.ts";
import { writeRoutingChange } from "./routing-variables.ts";

export interface AppliedChange {
  repository: string;
  action: "rollback" | "restore";
  change: RoutingChange;
  /** Set when GitHub refused or failed the write. */
  error?: string;
}

/** The change a decision asks for, or undefined when it asks for none. */
export function changeFor(decision: FleetAssessment["repositories"][number]["decision"], at: number, by: string): RoutingChange | undefined {
  if (decision.action === "rollback") {
    return { value: "false", reason: decision.reason, triggers: decision.triggers, at, by, source: "guard", autoRestore: decision.autoRestore ?? "allowed" };
  }
  if (decision.action === "restore") {
    return { value: "true", reason: decision.reason, triggers: [], at, by, source: "guard", autoRestore: "allowed" };
  }
  return undefined;
}

export async function applyAssessment(github: Pick<GitHub, "setVariable">, assessment: FleetAssessment, options: { by: string; now: () => number }): Promise<AppliedChange[]> {
  const applied: AppliedChange[] = [];
  for (const { repository, decision } of assessment.repositories) {
    const change = changeFor(decision, options.now(), options.by);
    if (!change) continue;
    const action = decision.action as AppliedChange["action"];
    try {
      await writeRoutingChange(github, repository, change);
      applied.push({ repository, action, change });
    } catch (error) {
      applied.push({ repository, action, change, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return applied;
}
