/**
 * Why a run was routed where it was, as a stable code (for counting: the controller's
 * `runner_fleet_untrusted_jobs_refused_total{reason}` and the guard use it as a label) plus a
 * message for people. Codes are part of the public contract: add new ones, never rename.
 */

export const reasonCodes = [
  // Self-hosted: the run is trusted, and this says which kind of trusted context it is.
  "trusted-pull-request",
  "trusted-merge-group",
  "trusted-push",
  // Hosted.
  /** The routing variable is not exactly `true` (unset, `false`, `TRUE`, ...): the kill switch. */
  "routing-disabled",
  /** The event is not one the policy trusts (pull_request_target, push, schedule, ...). */
  "event-not-trusted",
  /** A field the decision needs is missing or has the wrong type. */
  "malformed-payload",
  /** The head repository is not the base repository, or it was deleted. */
  "fork",
  /** The sender is a bot (`Bot` type, `[bot]` login) or not a user account at all. */
  "bot",
  /** The pull request author's association is not in the trusted set. */
  "untrusted-association",
  /** A push (opted in) that is not to the default branch: tags, other branches, deletions. */
  "not-default-branch",
  /** A merge_group event (opted in) that is not a merge queue's checks_requested. */
  "not-merge-queue",
  /** The policy or the Action's inputs are invalid. */
  "invalid-policy",
  /** A bug: the decision threw. Fails closed like everything else. */
  "internal-error",
  // Controller only (run-trust.ts): facts a workflow_job webhook cannot give.
  /** The run looks trusted but the PR author's association is not in a workflow run. */
  "association-unknown",
  /** The run context and webhook disagree, or lack what the check needs. */
  "context-incomplete",
] as const;

export type ReasonCode = (typeof reasonCodes)[number];

export interface Reason {
  code: ReasonCode;
  message: string;
}

export function reason(code: ReasonCode, message: string): Reason {
  return { code, message };
}

/**
 * Shows a value taken from a payload or input in a message: strings JSON-quoted (so control
 * and markdown characters show as text), other values as JSON; both cut to a readable length.
 */
export function quote(value: unknown): string {
  const cut = (text: string): string => (text.length > 80 ? text.slice(0, 77) + "..." : text);
  if (typeof value === "string") return JSON.stringify(cut(value));
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // BigInt and circular structures: JSON cannot show them.
  }
  return cut(text ?? Object.prototype.toString.call(value));
}
