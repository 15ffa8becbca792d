/** Whether the controller is healthy, for /healthz and `fleet health`. Draining is healthy. */
import type { ControllerHealth } from "./status-report.ts";

export interface HealthVerdict {
  healthy: boolean;
  problems: string[];
}

/** GitHub may be unreachable this long before the controller calls itself degraded. */
export const githubGraceMs = 5 * 60_000;

export function assessHealth(health: ControllerHealth, now: number, reconcileIntervalMs: number): HealthVerdict {
  const problems: string[] = [];
  if (health.lastPassAt === undefined) problems.push("no reconcile pass has completed yet");
  else if (now - health.lastPassAt > 3 * reconcileIntervalMs + 5_000) {
    problems.push(`last reconcile pass was ${Math.round((now - health.lastPassAt) / 1000)} s ago`);
  }
  if (health.lastPassAt !== undefined && !health.lastPassOk) problems.push(`last reconcile pass failed: ${health.lastError ?? "unknown error"}`);
  problems.push(...health.setupProblems);
  const githubSince = health.githubOkAt ?? health.startedAt;
  if (now - githubSince > githubGraceMs) problems.push(`GitHub has not answered for ${Math.round((now - githubSince) / 1000)} s`);
  return { healthy: problems.length === 0, problems };
}
