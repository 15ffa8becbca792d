import { describe, expect, it } from "vitest";
import { routeMismatchTrigger } from "../../../runtime/guard/route-mismatch.ts";
import { analyseRun, findMismatches, runTrust, variableAtRun } from "../../../runtime/guard/run-analysis.ts";
import { parseRoutingPolicy } from "../../../runtime/routing/policy.ts";
import { fleet, hostedJob, job, minute, prRun, t0 } from "./fixtures.ts";

const routingOn = { value: "true", updatedAt: t0 - 60 * minute };
const routingOff = { value: "false", updatedAt: t0 - 60 * minute };
const analyse = (run: ReturnType<typeof prRun>, variable = routingOn) => analyseRun(run, { fleet, variable });

describe("run trust, recomputed with the routing decision", () => {
  it("trusts a same-repository pull request by a member, and not by a contributor", () => {
    expect(runTrust(prRun(1))).toEqual({ trust: "trusted", code: "trusted-pull-request" });
    expect(runTrust(prRun(1, { pullRequest: { number: 1, authorAssociation: "CONTRIBUTOR" } }))).toEqual({ trust: "untrusted", code: "untrusted-association" });
  });

  it("proves forks, deleted heads and bots untrusted without the association", () => {
    const noAssociation = { pullRequest: undefined };
    expect(runTrust(prRun(1, { ...noAssociation, headRepository: { id: 99, fullName: "mallory/app" } })).code).toBe("fork");
    expect(runTrust(prRun(1, { ...noAssociation, headRepository: null })).code).toBe("fork");
    expect(runTrust(prRun(1, { ...noAssociation, actor: { login: "dependabot[bot]", type: "Bot" } })).code).toBe("bot");
    expect(runTrust(prRun(1, noAssociation))).toEqual({ trust: "unknown", code: "association-unknown" });
  });

  it("follows the policy: pushes are untrusted unless opted in, then only to the default branch", () => {
    const push = prRun(1, { event: "push", headBranch: "main", pullRequest: undefined });
    expect(runTrust(push).code).toBe("event-not-trusted");
    const policy = parseRoutingPolicy({ pushToDefaultBranch: true });
    expect(runTrust(push, policy)).toEqual({ trust: "trusted", code: "trusted-push" });
    expect(runTrust({ ...push, headBranch: "feature" }, policy).code).toBe("not-default-branch");
    const { defaultBranch: _omitted, ...withoutDefault } = push;
    expect(runTrust(withoutDefault, policy)).toEqual({ trust: "unknown", code: "context-incomplete" });
    expect(runTrust(prRun(1, { event: "pull_request_target" })).trust).toBe("untrusted");
    expect(runTrust(prRun(1, { event: "schedule" })).code).toBe("event-not-trusted");
  });
});

describe("the variable at the time of a run", () => {
  it("is known only for runs created after GitHub's updated_at", () => {
    expect(variableAtRun(t0, { value: "true", updatedAt: t0 - 1000 })).toBe("true");
    expect(variableAtRun(t0, { value: "true", updatedAt: t0 - 999 })).toBe("unknown");
    expect(variableAtRun(t0, { value: "TRUE", updatedAt: t0 - minute })).toBe("false");
    expect(variableAtRun(t0, { value: undefined, updatedAt: undefined })).toBe("unknown");
  });
});

describe("route mismatches", () => {
  it("finds no mismatch for a trusted run on the fleet while routing is on", () => {
    const [verdict] = findMismatches([analyse(prRun(1))]);
    expect(verdict).toMatchObject({ trust: "trusted", placement: "fleet", expected: "self-hosted", fleetJobs: [10] });
    expect(verdict!.mismatch).toBeUndefined();
  });

  it("flags an untrusted run on the fleet, whether its job ran there or still waits for it", () => {
    const fork = { headRepository: { id: 99, fullName: "mallory/app" }, pullRequest: undefined };
    const ran = analyse(prRun(1, fork));
    const queued = analyse(prRun(2, { ...fork, status: "queued", jobs: [job(20, { status: "queued", conclusion: null, runnerName: null })] }));
    expect(findMismatches([ran, queued]).map((v) => v.mismatch)).toEqual(["untrusted-on-self-hosted", "untrusted-on-self-hosted"]);
  });

  it("flags a run on the fleet while routing was off, but not one created before the variable changed", () => {
    expect(findMismatches([analyse(prRun(1), routingOff)])[0]!.mismatch).toBe("self-hosted-while-disabled");
    const changedLater = { value: "false", updatedAt: t0 + minute };
    expect(findMismatches([analyse(prRun(1), changedLater)])[0]!.mismatch).toBeUndefined();
  });

  it("flags a trusted run of a routed workflow that ran hosted, only once it completed and was not cancelled", () => {
    const routedElsewhere = analyse(prRun(1));
    const hosted = analyse(prRun(2, { jobs: [hostedJob(20)] }));
    expect(findMismatches([routedElsewhere, hosted])[1]!.mismatch).toBe("trusted-on-hosted");
    const running = analyse(prRun(3, { status: "in_progress", jobs: [hostedJob(30, { status: "in_progress" })] }));
    const cancelled = analyse(prRun(4, { conclusion: "cancelled", jobs: [hostedJob(40)] }));
    expect(findMismatches([routedElsewhere, running, cancelled]).slice(1).map((v) => v.mismatch)).toEqual([undefined, undefined]);
  });

  it("does not expect a workflow that never uses the fleet to route, unless configured", () => {
    const lint = analyse(prRun(2, { workflow: ".github/workflows/lint.yml", workflowName: "Lint", jobs: [hostedJob(20)] }));
    expect(findMismatches([analyse(prRun(1)), lint])[1]!.mismatch).toBeUndefined();
    expect(findMismatches([lint], { routedWorkflows: ["Lint"] })[0]!.mismatch).toBe("trusted-on-hosted");
    expect(findMismatches([lint], { routedWorkflows: [".github/workflows/lint.yml@main"] })[0]!.mismatch).toBe("trusted-on-hosted");
  });

  it("does not judge trusted runs that ran hosted while the variable's history is unknown or routing was off", () => {
    const hosted = prRun(2, { jobs: [hostedJob(20)] });
    expect(findMismatches([analyse(prRun(1)), analyse(hosted, { value: "true", updatedAt: t0 + minute })])[1]!.mismatch).toBeUndefined();
    expect(findMismatches([analyse(prRun(1), routingOff), analyse(hosted, routingOff)])[1]!.mismatch).toBeUndefined();
  });

  it("ignores skipped jobs and other self-hosted runners when placing a run", () => {
    const skipped = analyse(prRun(1, { jobs: [hostedJob(10, { conclusion: "skipped", runnerName: null })] }));
    expect(skipped.placement).toBe("none");
    const otherSelfHosted = analyse(prRun(2, { jobs: [job(20, { labels: ["self-hosted", "gpu"], runnerName: "gpu-box-1" })] }));
    expect(otherSelfHosted.placement).toBe("none");
  });

  it("turns mismatches and controller refusals since the last change into one trigger, without counting a run twice", () => {
    const fork = analyse(prRun(7, { headRepository: { id: 99, fullName: "mallory/app" } }));
    const verdicts = findMismatches([fork]);
    const refusals = [
      { host: "h1", vm: "rf-h1-small-00000007", at: t0, repository: "acme/app", runId: 7 },
      { host: "h2", vm: "rf-h2-small-00000008", at: t0, repository: "acme/lib", runId: 8 },
    ];
    const trigger = routeMismatchTrigger(verdicts, refusals);
    expect(trigger?.kind).toBe("route-mismatch");
    expect(trigger?.message).toMatch(/^2 route mismatch\(es\): acme\/app run 7 \(CI, pull_request\): untrusted run on the fleet \(fork\); acme\/lib run 8: untrusted job refused on rf-h2-small-00000008 \(host h2\)$/);
    expect(routeMismatchTrigger(verdicts, refusals, { since: t0 + 1 })).toBeUndefined();
  });
});
