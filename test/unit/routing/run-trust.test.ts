import { describe, expect, it } from "vitest";
import type { RunContext } from "../../../runtime/ports/github.ts";
import { parseRoutingPolicy } from "../../../runtime/routing/policy.ts";
import { assessRunTrust } from "../../../runtime/routing/run-trust.ts";
import { examples, withField } from "./payloads.ts";

const jobs = examples("workflow_job");
const humanJob = jobs.find((j) => (j.sender as { login: string }).login === "Codertocat")!;
const botJob = jobs.find((j) => (j.sender as { login: string }).login.endsWith("[bot]"))!;

const run = (overrides: Partial<RunContext> = {}): RunContext => ({
  runId: 7,
  event: "pull_request",
  repositoryId: 100,
  headRepositoryId: 100,
  actor: { login: "octocat", type: "User" },
  headBranch: "feature",
  defaultBranch: null,
  headSha: "a".repeat(40),
  pullRequests: [3],
  ...overrides,
});

const optedIn = parseRoutingPolicy({ mergeGroup: true, pushToDefaultBranch: true });

describe("assessRunTrust", () => {
  it("cannot call a same-repository pull request by a user trusted: the association is unknown", () => {
    expect(assessRunTrust(humanJob, run())).toEqual({
      verdict: "unknown",
      reason: {
        code: "association-unknown",
        message: "run 7 is a same-repository pull request by a user; its author association is not in a workflow run",
      },
    });
  });

  it.each([
    ["pull_request_target", run({ event: "pull_request_target" }), "event-not-trusted"],
    ["schedule", run({ event: "schedule" }), "event-not-trusted"],
    ["push without the opt-in", run({ event: "push", headBranch: "master" }), "event-not-trusted"],
    ["merge_group without the opt-in", run({ event: "merge_group" }), "event-not-trusted"],
    ["a fork", run({ headRepositoryId: 200 }), "fork"],
    ["a deleted head repository", run({ headRepositoryId: null }), "fork"],
    ["a Bot actor", run({ actor: { login: "renovate", type: "Bot" } }), "bot"],
    ["a [bot] actor", run({ actor: { login: "dependabot[bot]", type: "User" } }), "bot"],
  ])("calls %s untrusted", (_name, context, code) => {
    const trust = assessRunTrust(humanJob, context);
    expect(trust.verdict).toBe("untrusted");
    expect(trust.reason.code).toBe(code);
  });

  it("calls a run untrusted when the webhook's sender is a bot (real payload)", () => {
    expect(assessRunTrust(botJob, run())).toEqual({
      verdict: "untrusted",
      reason: { code: "bot", message: 'webhook: sender "renovate[bot]" is a bot' },
    });
  });

  it("works without a webhook (a job found by polling) and ignores a malformed one", () => {
    expect(assessRunTrust(undefined, run()).verdict).toBe("unknown");
    expect(assessRunTrust({ sender: 5 }, run({ headRepositoryId: 9 })).reason.code).toBe("fork");
    expect(assessRunTrust("garbage", run()).reason.code).toBe("association-unknown");
  });

  it("trusts an opted-in merge queue run and push to the default branch", () => {
    expect(assessRunTrust(humanJob, run({ event: "merge_group", headBranch: "gh-readonly-queue/main/pr-1-abc" }), optedIn)).toEqual({
      verdict: "trusted",
      reason: { code: "trusted-merge-group", message: "run 7 is a merge queue run" },
    });
    const webhook = withField(humanJob, "repository.default_branch", "main");
    expect(assessRunTrust(webhook, run({ event: "push", headBranch: "main" }), optedIn).verdict).toBe("trusted");
  });

  it.each([
    ["merge_group", "main", undefined, "untrusted", "not-merge-queue"],
    ["merge_group", null, undefined, "unknown", "context-incomplete"],
    ["push", "feature", "main", "untrusted", "not-default-branch"],
    ["push", "main", undefined, "unknown", "context-incomplete"],
    ["push", null, "main", "unknown", "context-incomplete"],
  ] as const)("%s on branch %j (default %j) is %s (%s)", (event, headBranch, defaultBranch, verdict, code) => {
    const webhook = withField(humanJob, "repository.default_branch", defaultBranch);
    const trust = assessRunTrust(webhook, run({ event, headBranch }), optedIn);
    expect(trust).toMatchObject({ verdict, reason: { code } });
  });

  it("lets proof of untrust win over missing facts", () => {
    const trust = assessRunTrust(undefined, run({ event: "push", headBranch: null, headRepositoryId: 5 }), optedIn);
    expect(trust).toMatchObject({ verdict: "untrusted", reason: { code: "fork" } });
  });
});
