/**
 * The routing decision: given a workflow run's event, its payload, the raw value of the
 * routing variable and the policy, say whether its jobs may run on the self-hosted pool.
 *
 * Fails closed: the self-hosted route is the result of one positive path through checks that
 * each read the exact fields they need; every other path (an untrusted context, a missing or
 * mistyped field, an unknown event, even a bug) ends at the hosted route.
 */
import { MalformedPayload, readId, readObject, readObjectOrNull, readOptionalBoolean, readString } from "./payload-reader.ts";
import { defaultHostedRunsOn, defaultRoutingPolicy, type RoutingPolicy } from "./policy.ts";
import { quote, reason, type Reason } from "./reasons.ts";

export const routingVariableName = "CI_SELF_HOSTED_TRUSTED_ROUTING";

export type Route = "self-hosted" | "hosted";
/** A `runs-on` value: one label or a label list (what `fromJSON` of the Action's output gives). */
export type RunsOn = string | string[];

export interface RouteDecision {
  route: Route;
  runsOn: RunsOn;
  reason: Reason;
}

/** Only the exact string `true` enables routing: `TRUE`, ` true`, `1`, `yes` and empty do not. */
export function routingEnabled(raw: string | undefined): boolean {
  return raw === "true";
}

/** `[bot]` logins and `Bot` accounts. */
export function isBotAccount(login: string, type: string): boolean {
  return type === "Bot" || login.toLowerCase().endsWith("[bot]");
}

/** Why an account may not trigger self-hosted runs, or undefined for a human user. */
export function senderProblem(login: string, type: string): string | undefined {
  if (isBotAccount(login, type)) return `sender ${quote(login)} is a bot`;
  // Organizations, mannequins and unknown types are not people with write access either.
  if (type !== "User") return `sender ${quote(login)} has type ${quote(type)}, not "User"`;
  return undefined;
}

export function decideRoute(
  eventName: string,
  payload: unknown,
  routingVariable: string | undefined,
  policy: RoutingPolicy = defaultRoutingPolicy,
): RouteDecision {
  try {
    return decide(eventName, payload, routingVariable, policy);
  } catch (error) {
    if (error instanceof MalformedPayload) return hosted(policy, reason("malformed-payload", error.message));
    const detail = error instanceof Error ? error.message : String(error);
    return hosted(policy, reason("internal-error", `routing failed, using hosted runners: ${detail}`));
  }
}

function decide(eventName: string, payload: unknown, routingVariable: string | undefined, policy: RoutingPolicy): RouteDecision {
  if (!routingEnabled(routingVariable)) {
    const state = routingVariable === undefined ? "is unset" : `is ${quote(routingVariable)}, not "true"`;
    return hosted(policy, reason("routing-disabled", `${routingVariableName} ${state}`));
  }
  if (typeof eventName !== "string") {
    return hosted(policy, reason("event-not-trusted", `event name ${quote(eventName)} is not a string`));
  }
  switch (eventName) {
    case "pull_request":
      return decidePullRequest(payload, policy);
    case "merge_group":
      if (!policy.mergeGroup) return notOptedIn(policy, eventName, "mergeGroup");
      return decideMergeGroup(payload, policy);
    case "push":
      if (!policy.pushToDefaultBranch) return notOptedIn(policy, eventName, "pushToDefaultBranch");
      return decidePush(payload, policy);
    case "pull_request_target":
      return hosted(
        policy,
        reason(
          "event-not-trusted",
          "pull_request_target runs with the base repository's token and secrets: never self-hosted",
        ),
      );
    default:
      return hosted(policy, reason("event-not-trusted", `event ${quote(eventName)} is not a trusted context`));
  }
}

function decidePullRequest(payload: unknown, policy: RoutingPolicy): RouteDecision {
  const baseName = readString(payload, "pull_request.base.repo.full_name");
  const baseId = readId(payload, "pull_request.base.repo.id");
  const repositoryId = readId(payload, "repository.id");
  if (repositoryId !== baseId) {
    return hosted(
      policy,
      reason("malformed-payload", `pull_request.base.repo.id ${baseId} is not repository.id ${repositoryId}`),
    );
  }
  const head = readObjectOrNull(payload, "pull_request.head.repo");
  if (head === null) {
    return hosted(policy, reason("fork", "head repository was deleted (treated as a fork)"));
  }
  const headName = readString(payload, "pull_request.head.repo.full_name");
  const headId = readId(payload, "pull_request.head.repo.id");
  if (headId !== baseId || headName !== baseName) {
    return hosted(policy, reason("fork", `head repository ${quote(headName)} is not ${quote(baseName)}`));
  }

  const login = readString(payload, "sender.login");
  const problem = senderProblem(login, readString(payload, "sender.type"));
  if (problem !== undefined) return hosted(policy, reason("bot", problem));

  const association = readString(payload, "pull_request.author_association");
  if (!(policy.trustedAssociations as readonly string[]).includes(association)) {
    return hosted(
      policy,
      reason(
        "untrusted-association",
        `author association ${quote(association)} is not one of ${policy.trustedAssociations.join(", ")}`,
      ),
    );
  }
  return selfHosted(
    policy,
    reason("trusted-pull-request", `pull request from ${headName} by ${quote(login)} (${association})`),
  );
}

const mergeQueueRefPrefix = "refs/heads/gh-readonly-queue/";

function decideMergeGroup(payload: unknown, policy: RoutingPolicy): RouteDecision {
  readObject(payload, "merge_group");
  const action = readString(payload, "action");
  if (action !== "checks_requested") {
    return hosted(policy, reason("not-merge-queue", `merge_group action ${quote(action)} is not "checks_requested"`));
  }
  const headRef = readString(payload, "merge_group.head_ref");
  if (!headRef.startsWith(mergeQueueRefPrefix)) {
    return hosted(
      policy,
      reason("not-merge-queue", `merge_group.head_ref ${quote(headRef)} is not under ${mergeQueueRefPrefix}`),
    );
  }
  const repository = readString(payload, "repository.full_name");
  readId(payload, "repository.id");
  const login = readString(payload, "sender.login");
  const problem = senderProblem(login, readString(payload, "sender.type"));
  if (problem !== undefined) return hosted(policy, reason("bot", problem));
  return selfHosted(policy, reason("trusted-merge-group", `merge queue run of ${repository} by ${quote(login)}`));
}

function decidePush(payload: unknown, policy: RoutingPolicy): RouteDecision {
  const ref = readString(payload, "ref");
  const defaultBranch = readString(payload, "repository.default_branch");
  const repository = readString(payload, "repository.full_name");
  readId(payload, "repository.id");
  if (readOptionalBoolean(payload, "deleted")) {
    return hosted(policy, reason("not-default-branch", `push deletes ${quote(ref)}`));
  }
  if (ref !== `refs/heads/${defaultBranch}`) {
    return hosted(
      policy,
      reason("not-default-branch", `push to ${quote(ref)}, not the default branch ${quote(defaultBranch)}`),
    );
  }
  const login = readString(payload, "sender.login");
  const problem = senderProblem(login, readString(payload, "sender.type"));
  if (problem !== undefined) return hosted(policy, reason("bot", problem));
  return selfHosted(policy, reason("trusted-push", `push to ${defaultBranch} of ${repository} by ${quote(login)}`));
}

function notOptedIn(policy: RoutingPolicy, eventName: string, key: string): RouteDecision {
  return hosted(policy, reason("event-not-trusted", `event ${quote(eventName)} is not opted in (policy ${key} is false)`));
}

function selfHosted(policy: RoutingPolicy, why: Reason): RouteDecision {
  return { route: "self-hosted", runsOn: [...policy.selfHostedRunsOn], reason: why };
}

function hosted(policy: RoutingPolicy, why: Reason): RouteDecision {
  return { route: "hosted", runsOn: hostedRunsOn(policy), reason: why };
}

/** The policy's hosted target, or the built-in one if the policy itself is broken. */
function hostedRunsOn(policy: RoutingPolicy): RunsOn {
  const value: unknown = (policy as Partial<RoutingPolicy> | undefined)?.hostedRunsOn;
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.length > 0 && value.every((label) => typeof label === "string")) {
    return [...(value as string[])];
  }
  return defaultHostedRunsOn;
}
