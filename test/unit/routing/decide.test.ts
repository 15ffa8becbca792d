import { describe, expect, it } from "vitest";
import { decideRoute, routingEnabled } from "../../../runtime/routing/decide.ts";
import { defaultRoutingPolicy, parseRoutingPolicy } from "../../../runtime/routing/policy.ts";
import { botLoginSenderOf, botTypeSenderOf, deletedHeadOf, examples, forkOf, withField } from "./payloads.ts";

const pr = examples("pull_request")[0]!;
const selfHostedLabels = ["self-hosted", "linux", "x64", "runner-fleet"];

describe("the routing variable", () => {
  it.each([
    [undefined, false],
    ["true", true],
    ["false", false],
    ["TRUE", false],
    ["True", false],
    [" true", false],
    ["true ", false],
    ["true\n", false],
    ["1", false],
    ["yes", false],
    ["on", false],
    ["", false],
  ])("%j enables routing: %s", (raw, enabled) => {
    expect(routingEnabled(raw)).toBe(enabled);
    const decision = decideRoute("pull_request", pr, raw);
    expect(decision.route).toBe(enabled ? "self-hosted" : "hosted");
    if (!enabled) expect(decision.reason.code).toBe("routing-disabled");
  });

  it("says in the message whether it is unset or has another value", () => {
    expect(decideRoute("pull_request", pr, undefined).reason.message).toBe("CI_SELF_HOSTED_TRUSTED_ROUTING is unset");
    expect(decideRoute("pull_request", pr, "TRUE").reason.message).toBe(
      'CI_SELF_HOSTED_TRUSTED_ROUTING is "TRUE", not "true"',
    );
  });
});

describe("pull_request", () => {
  it("routes a same-repository pull request by an owner to the self-hosted labels", () => {
    expect(decideRoute("pull_request", pr, "true")).toEqual({
      route: "self-hosted",
      runsOn: selfHostedLabels,
      reason: {
        code: "trusted-pull-request",
        message: 'pull request from Codertocat/Hello-World by "Codertocat" (OWNER)',
      },
    });
  });

  it("sends a fork to ubuntu-latest, naming both repositories", () => {
    expect(decideRoute("pull_request", forkOf(pr), "true")).toEqual({
      route: "hosted",
      runsOn: "ubuntu-latest",
      reason: { code: "fork", message: 'head repository "mallory/Hello-World" is not "Codertocat/Hello-World"' },
    });
  });

  it("treats a deleted head repository as a fork", () => {
    expect(decideRoute("pull_request", deletedHeadOf(pr), "true").reason).toEqual({
      code: "fork",
      message: "head repository was deleted (treated as a fork)",
    });
  });

  it("treats a head repository with the same id but another name as a fork", () => {
    const renamed = withField(pr, "pull_request.head.repo.full_name", "mallory/Hello-World");
    expect(decideRoute("pull_request", renamed, "true").reason.code).toBe("fork");
  });

  it.each([
    ["Bot type", botTypeSenderOf(pr)],
    ["[bot] login", botLoginSenderOf(pr)],
    ["[BOT] login", withField(pr, "sender.login", "someone[BOT]")],
    ["Organization type", withField(pr, "sender.type", "Organization")],
  ])("sends a %s sender to hosted", (_name, payload) => {
    const decision = decideRoute("pull_request", payload, "true");
    expect(decision.route).toBe("hosted");
    expect(decision.reason.code).toBe("bot");
  });

  it.each(["CONTRIBUTOR", "FIRST_TIMER", "FIRST_TIME_CONTRIBUTOR", "MANNEQUIN", "NONE", "owner", "Member"])(
    "sends author association %s to hosted",
    (association) => {
      const decision = decideRoute("pull_request", withField(pr, "pull_request.author_association", association), "true");
      expect(decision.route).toBe("hosted");
      expect(decision.reason.code).toBe("untrusted-association");
    },
  );

  it.each(["OWNER", "MEMBER", "COLLABORATOR"])("routes author association %s to self-hosted", (association) => {
    const payload = withField(pr, "pull_request.author_association", association);
    expect(decideRoute("pull_request", payload, "true").route).toBe("self-hosted");
  });

  it("honours a narrowed association list", () => {
    const policy = parseRoutingPolicy({ trustedAssociations: ["OWNER"] });
    const member = withField(pr, "pull_request.author_association", "MEMBER");
    expect(decideRoute("pull_request", member, "true", policy).reason).toEqual({
      code: "untrusted-association",
      message: 'author association "MEMBER" is not one of OWNER',
    });
    expect(decideRoute("pull_request", pr, "true", policy).route).toBe("self-hosted");
  });

  it.each([
    ["pull_request.head.repo", undefined, "pull_request.head.repo: expected an object or null, got nothing"],
    ["pull_request.head.repo", "Codertocat/Hello-World", 'pull_request.head.repo: expected an object or null, got "Codertocat/Hello-World"'],
    ["pull_request.head.repo.id", "186853002", 'pull_request.head.repo.id: expected a positive integer, got "186853002"'],
    ["pull_request.base.repo.id", 1.5, 'pull_request.base.repo.id: expected a positive integer, got 1.5'],
    ["pull_request.base.repo.full_name", null, 'pull_request.base.repo.full_name: expected a string, got null'],
    ["repository.id", undefined, "repository.id: expected a positive integer, got nothing"],
    ["sender", undefined, "sender.login: expected a string, got nothing"],
    ["sender.type", 1, 'sender.type: expected a string, got 1'],
    ["pull_request.author_association", undefined, "pull_request.author_association: expected a string, got nothing"],
    ["pull_request", [], "pull_request.base.repo.full_name: expected a string, got nothing"],
  ])("names the malformed field %s (%j)", (path, value, message) => {
    expect(decideRoute("pull_request", withField(pr, path, value), "true")).toEqual({
      route: "hosted",
      runsOn: "ubuntu-latest",
      reason: { code: "malformed-payload", message },
    });
  });

  it("refuses a payload whose base repository is not the repository", () => {
    const decision = decideRoute("pull_request", withField(pr, "repository.id", 42), "true");
    expect(decision.reason).toEqual({
      code: "malformed-payload",
      message: "pull_request.base.repo.id 186853002 is not repository.id 42",
    });
  });

  it("does not read fields through the prototype", () => {
    const payload = Object.create(pr) as object; // every field inherited, none own
    expect(decideRoute("pull_request", payload, "true").reason.code).toBe("malformed-payload");
  });

  it.each([null, undefined, 42, "pull_request", [], [pr]])("sends a non-object payload (%j) to hosted", (payload) => {
    const decision = decideRoute("pull_request", payload, "true");
    expect(decision.route).toBe("hosted");
    expect(decision.reason.code).toBe("malformed-payload");
  });
});

describe("other events", () => {
  it("never routes pull_request_target, whatever the payload", () => {
    const decision = decideRoute("pull_request_target", pr, "true");
    expect(decision.route).toBe("hosted");
    expect(decision.reason.code).toBe("event-not-trusted");
    expect(decision.reason.message).toContain("pull_request_target");
  });

  it("sends push and merge_group to hosted unless the policy opts them in", () => {
    const push = examples("push").find((p) => p.ref === "refs/heads/master")!;
    const mergeGroup = examples("merge_group")[0]!;
    expect(decideRoute("push", push, "true").reason).toEqual({
      code: "event-not-trusted",
      message: 'event "push" is not opted in (policy pushToDefaultBranch is false)',
    });
    expect(decideRoute("merge_group", mergeGroup, "true").reason).toEqual({
      code: "event-not-trusted",
      message: 'event "merge_group" is not opted in (policy mergeGroup is false)',
    });
  });

  it.each(["schedule", "workflow_dispatch", "issue_comment", "workflow_run", "PULL_REQUEST", ""])(
    "sends %j to hosted",
    (eventName) => {
      const decision = decideRoute(eventName, pr, "true");
      expect(decision.route).toBe("hosted");
      expect(decision.reason.code).toBe("event-not-trusted");
    },
  );
});

describe("merge_group, opted in", () => {
  const policy = parseRoutingPolicy({ mergeGroup: true });
  const mergeGroup = examples("merge_group")[0]!;

  it("routes a merge queue's checks_requested run to self-hosted", () => {
    expect(decideRoute("merge_group", mergeGroup, "true", policy)).toEqual({
      route: "self-hosted",
      runsOn: selfHostedLabels,
      reason: { code: "trusted-merge-group", message: 'merge queue run of octo-org/octo-repo by "Codertocat"' },
    });
  });

  it("still needs the routing variable", () => {
    expect(decideRoute("merge_group", mergeGroup, "false", policy).reason.code).toBe("routing-disabled");
  });

  it.each([
    ["action", "destroyed", "not-merge-queue"],
    ["merge_group.head_ref", "refs/heads/main", "not-merge-queue"],
    ["merge_group.head_ref", undefined, "malformed-payload"],
    ["merge_group", undefined, "malformed-payload"],
    ["sender.type", "Bot", "bot"],
    ["sender.login", "github-merge-queue[bot]", "bot"],
  ])("sends it to hosted when %s is %j (%s)", (path, value, code) => {
    const decision = decideRoute("merge_group", withField(mergeGroup, path, value), "true", policy);
    expect(decision.route).toBe("hosted");
    expect(decision.reason.code).toBe(code);
  });
});

describe("push, opted in", () => {
  const policy = parseRoutingPolicy({ pushToDefaultBranch: true });
  const push = examples("push").find((p) => p.ref === "refs/heads/master")!;

  it("routes a human's push to the default branch to self-hosted", () => {
    expect(decideRoute("push", push, "true", policy)).toEqual({
      route: "self-hosted",
      runsOn: selfHostedLabels,
      reason: { code: "trusted-push", message: 'push to master of Codertocat/Hello-World by "Codertocat"' },
    });
  });

  it.each([
    ["ref", "refs/heads/feature", "not-default-branch"],
    ["ref", "refs/tags/master", "not-default-branch"],
    ["deleted", true, "not-default-branch"],
    ["deleted", "false", "malformed-payload"],
    ["repository.default_branch", undefined, "malformed-payload"],
    ["sender.login", "github-actions[bot]", "bot"],
  ])("sends it to hosted when %s is %j (%s)", (path, value, code) => {
    const decision = decideRoute("push", withField(push, path, value), "true", policy);
    expect(decision.route).toBe("hosted");
    expect(decision.reason.code).toBe(code);
  });

  it("does not widen pull request trust", () => {
    expect(decideRoute("pull_request", forkOf(pr), "true", policy).route).toBe("hosted");
    expect(decideRoute("pull_request_target", pr, "true", policy).route).toBe("hosted");
  });
});

describe("policy targets", () => {
  it("uses the policy's labels for both routes, as copies", () => {
    const policy = parseRoutingPolicy({
      selfHostedRunsOn: ["self-hosted", "linux", "arm64", "acme-fleet"],
      hostedRunsOn: ["ubuntu-24.04-arm"],
    });
    const trusted = decideRoute("pull_request", pr, "true", policy);
    expect(trusted.runsOn).toEqual(["self-hosted", "linux", "arm64", "acme-fleet"]);
    (trusted.runsOn as string[]).push("mutated");
    expect(policy.selfHostedRunsOn).toHaveLength(4);
    expect(decideRoute("pull_request", pr, "false", policy).runsOn).toEqual(["ubuntu-24.04-arm"]);
  });

  it("fails closed to ubuntu-latest on an internal error, even with a broken policy object", () => {
    const broken = { ...defaultRoutingPolicy, trustedAssociations: null } as unknown as typeof defaultRoutingPolicy;
    const decision = decideRoute("pull_request", pr, "true", broken);
    expect(decision.route).toBe("hosted");
    expect(decision.reason.code).toBe("internal-error");
    const noHosted = { ...broken, hostedRunsOn: 7 } as unknown as typeof defaultRoutingPolicy;
    expect(decideRoute("pull_request", pr, "true", noHosted).runsOn).toBe("ubuntu-latest");
  });
});
