/**
 * The controller's side of routing: a job reached a self-hosted pool; does its workflow run
 * come from a context the routing decision could have sent there?
 *
 * It sees less than the routing step did: a `workflow_job` webhook plus the run's context
 * (`RunContext` from the GitHub port) carry the event, the repositories and the actor, but not
 * the pull request author's association. So a pull request run that passes every check it can
 * make is `unknown` (code `association-unknown`), not `trusted`: the caller decides whether
 * unknown is acceptable (the routing step checked the association when it chose the route).
 * Anything the run context proves untrusted is `untrusted`, whatever else is missing.
 */
import type { RunContext } from "../ports/github.ts";
import { senderProblem } from "./decide.ts";
import { readPath } from "./payload-reader.ts";
import { defaultRoutingPolicy, type RoutingPolicy } from "./policy.ts";
import { quote, reason, type Reason } from "./reasons.ts";

export type RunTrust =
  | { verdict: "trusted"; reason: Reason }
  | { verdict: "untrusted"; reason: Reason }
  | { verdict: "unknown"; reason: Reason };

const untrusted = (why: Reason): RunTrust => ({ verdict: "untrusted", reason: why });
const unknown = (why: Reason): RunTrust => ({ verdict: "unknown", reason: why });

/**
 * @param webhook the `workflow_job` webhook payload, or undefined when the job was found by
 *   polling. Read defensively: only `sender` and `repository.default_branch` are used, when present.
 */
export function assessRunTrust(
  webhook: unknown,
  run: RunContext,
  policy: RoutingPolicy = defaultRoutingPolicy,
): RunTrust {
  const event = run.event;
  const trustedEvent =
    event === "pull_request" ||
    (event === "merge_group" && policy.mergeGroup) ||
    (event === "push" && policy.pushToDefaultBranch);
  if (!trustedEvent) {
    return untrusted(reason("event-not-trusted", `run ${run.runId} was triggered by ${quote(event)}`));
  }

  if (run.headRepositoryId === null) {
    return untrusted(reason("fork", `run ${run.runId}: head repository was deleted (treated as a fork)`));
  }
  if (run.headRepositoryId !== run.repositoryId) {
    return untrusted(
      reason("fork", `run ${run.runId}: head repository ${run.headRepositoryId} is not repository ${run.repositoryId}`),
    );
  }

  const actorProblem = senderProblem(String(run.actor.login), String(run.actor.type));
  if (actorProblem !== undefined) return untrusted(reason("bot", `run ${run.runId}: actor: ${actorProblem}`));
  const senderLogin = readPath(webhook, "sender.login");
  const senderType = readPath(webhook, "sender.type");
  if (typeof senderLogin === "string" && typeof senderType === "string") {
    const problem = senderProblem(senderLogin, senderType);
    if (problem !== undefined) return untrusted(reason("bot", `webhook: ${problem}`));
  }

  if (event === "pull_request") {
    return unknown(
      reason(
        "association-unknown",
        `run ${run.runId} is a same-repository pull request by a user; its author association is not in a workflow run`,
      ),
    );
  }
  if (run.headBranch === null) {
    return unknown(reason("context-incomplete", `run ${run.runId} has no head branch`));
  }
  if (event === "merge_group") {
    if (!run.headBranch.startsWith("gh-readonly-queue/")) {
      return untrusted(reason("not-merge-queue", `run ${run.runId}: branch ${quote(run.headBranch)} is not a merge queue branch`));
    }
    return { verdict: "trusted", reason: reason("trusted-merge-group", `run ${run.runId} is a merge queue run`) };
  }
  // push, opted in
  const fromWebhook = readPath(webhook, "repository.default_branch");
  const defaultBranch = typeof fromWebhook === "string" ? fromWebhook : run.defaultBranch;
  if (typeof defaultBranch !== "string") {
    return unknown(reason("context-incomplete", `run ${run.runId}: neither the webhook nor the run names the default branch`));
  }
  if (run.headBranch !== defaultBranch) {
    return untrusted(
      reason("not-default-branch", `run ${run.runId}: push to ${quote(run.headBranch)}, not ${quote(defaultBranch)}`),
    );
  }
  return { verdict: "trusted", reason: reason("trusted-push", `run ${run.runId} is a push to ${defaultBranch}`) };
}
