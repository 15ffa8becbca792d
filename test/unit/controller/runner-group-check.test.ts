import { describe, expect, it } from "vitest";
import { judgeRunnerGroup } from "../../../runtime/controller/runner-group-check.ts";
import { assessHealth } from "../../../runtime/controller/health.ts";

const org = { kind: "org" as const, org: "acme" };
const group = (over = {}) => ({ id: 3, name: "fleet", visibility: "selected", allowsPublicRepositories: false, ...over });

describe("judgeRunnerGroup", () => {
  it("accepts a group of selected repositories without public ones", () => {
    expect(judgeRunnerGroup(3, group(), org)).toEqual({});
  });

  it("makes a missing group a problem naming the group and the organization", () => {
    expect(judgeRunnerGroup(3, undefined, org).problem).toBe("runner group 3 does not exist in organization acme: every JIT config request will fail");
    expect(judgeRunnerGroup(9, undefined, { kind: "repo", owner: "octo", repo: "solo" }).problem).toContain("repository octo/solo");
  });

  it("makes a group open to public repositories a problem, and one open to all repositories a warning", () => {
    expect(judgeRunnerGroup(3, group({ allowsPublicRepositories: true }), org).problem).toContain("allows public repositories");
    expect(judgeRunnerGroup(3, group({ visibility: "all" }), org)).toEqual({ warning: expect.stringContaining("visible to every repository") });
  });

  it("turns setup problems into health problems", () => {
    const health = { startedAt: 0, lastPassAt: 1000, lastPassOk: true, lastError: undefined, githubOkAt: 1000, rateLimit: undefined, drainingSince: undefined, shuttingDownSince: undefined, setupProblems: [] as string[] };
    expect(assessHealth(health, 2000, 15_000)).toEqual({ healthy: true, problems: [] });
    health.setupProblems.push("runner group 3 does not exist");
    expect(assessHealth(health, 2000, 15_000)).toEqual({ healthy: false, problems: ["runner group 3 does not exist"] });
  });
});
