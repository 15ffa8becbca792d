/** The decision on GitHub's own example payloads, and fork and bot variants derived from them. */
import { describe, expect, it } from "vitest";
import { decideRoute } from "../../../runtime/routing/decide.ts";
import { parseRoutingPolicy } from "../../../runtime/routing/policy.ts";
import { botLoginSenderOf, botTypeSenderOf, deletedHeadOf, examples, forkOf, withField } from "./payloads.ts";

const pullRequests = examples("pull_request");
const pushes = examples("push");
const mergeGroups = examples("merge_group");
const optedIn = parseRoutingPolicy({ mergeGroup: true, pushToDefaultBranch: true });

const label = (payload: Record<string, unknown>, i: number): string => `#${i} ${String(payload.action ?? payload.ref)}`;

describe("real pull_request payloads", () => {
  it("has the payloads the tests rely on", () => {
    expect(pullRequests.length).toBeGreaterThanOrEqual(29);
    expect(pushes.length).toBeGreaterThanOrEqual(7);
    expect(mergeGroups.length).toBeGreaterThanOrEqual(2);
  });

  it.each(pullRequests.map((p, i) => [label(p, i), p] as const))("routes %s (same repo, owner) to self-hosted", (_n, payload) => {
    const decision = decideRoute("pull_request", payload, "true");
    expect(decision.route).toBe("self-hosted");
    expect(decision.reason.code).toBe("trusted-pull-request");
  });

  it.each(pullRequests.map((p, i) => [label(p, i), p] as const))("routes %s to hosted with the variable off", (_n, payload) => {
    expect(decideRoute("pull_request", payload, "false").reason.code).toBe("routing-disabled");
    expect(decideRoute("pull_request", payload, undefined).reason.code).toBe("routing-disabled");
  });

  it.each(pullRequests.map((p, i) => [label(p, i), p] as const))("routes the fork variants of %s to hosted", (_n, payload) => {
    for (const variant of [forkOf(payload), deletedHeadOf(payload)]) {
      const decision = decideRoute("pull_request", variant, "true", optedIn);
      expect(decision).toMatchObject({ route: "hosted", runsOn: "ubuntu-latest", reason: { code: "fork" } });
    }
  });

  it.each(pullRequests.map((p, i) => [label(p, i), p] as const))("routes the bot variants of %s to hosted", (_n, payload) => {
    for (const variant of [botTypeSenderOf(payload), botLoginSenderOf(payload)]) {
      expect(decideRoute("pull_request", variant, "true", optedIn).reason.code).toBe("bot");
    }
  });

  it.each(pullRequests.map((p, i) => [label(p, i), p] as const))("never routes %s as pull_request_target", (_n, payload) => {
    expect(decideRoute("pull_request_target", payload, "true", optedIn).reason.code).toBe("event-not-trusted");
  });

  it("routes a contributor's pull request to hosted", () => {
    const payload = withField(pullRequests[0]!, "pull_request.author_association", "CONTRIBUTOR");
    expect(decideRoute("pull_request", payload, "true", optedIn).reason.code).toBe("untrusted-association");
  });
});

describe("real push payloads", () => {
  it.each(pushes.map((p, i) => [label(p, i), p] as const))("routes %s to hosted by default", (_n, payload) => {
    expect(decideRoute("push", payload, "true").reason.code).toBe("event-not-trusted");
  });

  it.each(pushes.map((p, i) => [label(p, i), p] as const))("with the opt-in, routes %s by its ref", (_n, payload) => {
    const decision = decideRoute("push", payload, "true", optedIn);
    const toDefault = payload.ref === `refs/heads/${String((payload.repository as Record<string, unknown>).default_branch)}`;
    expect(decision.route).toBe(toDefault ? "self-hosted" : "hosted");
    expect(decision.reason.code).toBe(toDefault ? "trusted-push" : "not-default-branch");
  });

  it("covers both branch and tag pushes", () => {
    expect(pushes.some((p) => p.ref === "refs/heads/master")).toBe(true);
    expect(pushes.some((p) => String(p.ref).startsWith("refs/tags/"))).toBe(true);
  });

  it("routes a bot's push to the default branch to hosted", () => {
    const push = pushes.find((p) => p.ref === "refs/heads/master")!;
    expect(decideRoute("push", botTypeSenderOf(push), "true", optedIn).reason.code).toBe("bot");
    expect(decideRoute("push", botLoginSenderOf(push), "true", optedIn).reason.code).toBe("bot");
  });
});

describe("real merge_group payloads", () => {
  it.each(mergeGroups.map((p, i) => [label(p, i), p] as const))("routes %s to hosted by default", (_n, payload) => {
    expect(decideRoute("merge_group", payload, "true").reason.code).toBe("event-not-trusted");
  });

  it.each(mergeGroups.map((p, i) => [label(p, i), p] as const))("routes %s to self-hosted when opted in", (_n, payload) => {
    expect(decideRoute("merge_group", payload, "true", optedIn).reason.code).toBe("trusted-merge-group");
    expect(decideRoute("merge_group", botTypeSenderOf(payload), "true", optedIn).reason.code).toBe("bot");
    expect(decideRoute("merge_group", payload, "", optedIn).reason.code).toBe("routing-disabled");
  });
});
