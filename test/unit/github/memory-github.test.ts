import { describe, expect, it } from "vitest";
import { MemoryGitHub } from "../../../runtime/github/memory-github.ts";
import { GitHubError } from "../../../runtime/ports/github.ts";
import { describeGitHubContract } from "../../contract/github.contract.ts";

describeGitHubContract("MemoryGitHub", async () => {
  const github = new MemoryGitHub({ kind: "org", org: "acme" });
  let starters = 0;
  return {
    github,
    repository: "acme/app",
    otherRepository: "acme/lib",
    enqueueJob: async (spec) => {
      const pr = spec.event?.pullRequest;
      const base = github.enqueueJob({
        repository: spec.repository,
        labels: spec.labels,
        event: spec.event?.name,
        actor: spec.event?.sender ? { login: spec.event.sender, type: spec.event.sender.endsWith("[bot]") ? "Bot" : "User" } : undefined,
        pullRequests: pr && !pr.fromFork ? [pr.number] : [],
        headRepositoryId: pr?.fromFork ? 999_999 : undefined,
      });
      return base;
    },
    startJob: async (jobId, labels) => {
      const name = `starter-${++starters}`;
      const { runnerId } = await github.generateJitConfig({ name, labels, runnerGroupId: 1 });
      github.setRunnerStatus(runnerId, "online");
      github.startJob(jobId, runnerId);
      return { runnerName: name };
    },
    jobState: async (jobId) => {
      const job = github.job(jobId)!;
      return { status: job.status, conclusion: job.conclusion };
    },
    commitStatuses: async (repository, sha) => github.commitStatuses(repository, sha),
    close: async () => {},
  };
});

describe("MemoryGitHub levers", () => {
  it("fails the next call of an operation as told, then recovers", async () => {
    const github = new MemoryGitHub();
    github.failNext("listRunners", new GitHubError("boom", 502));
    await expect(github.listRunners("")).rejects.toMatchObject({ status: 502 });
    await expect(github.listRunners("")).resolves.toEqual([]);
    expect(github.calls.map((c) => c.operation)).toEqual(["listRunners", "listRunners"]);
  });

  it("only starts a job on an online, idle runner carrying the job's labels", async () => {
    const github = new MemoryGitHub();
    const { jobId } = github.enqueueJob({ repository: "acme/app", labels: ["gpu"] });
    const { runnerId } = await github.generateJitConfig({ name: "r", labels: ["cpu"], runnerGroupId: 1 });
    expect(() => github.startJob(jobId, runnerId)).toThrow(/not online/);
    github.setRunnerStatus(runnerId, "online");
    expect(() => github.startJob(jobId, runnerId)).toThrow(/lacks labels/);
  });

  it("removes the ephemeral runner when its job completes", async () => {
    const github = new MemoryGitHub();
    const { jobId } = github.enqueueJob({ repository: "acme/app", labels: ["a"] });
    const { runnerId } = await github.generateJitConfig({ name: "r", labels: ["a"], runnerGroupId: 1 });
    github.setRunnerStatus(runnerId, "online");
    github.startJob(jobId, runnerId);
    github.completeJob(jobId, "failure");
    expect(await github.listRunners("")).toEqual([]);
    expect(await github.listJobs("acme/app", "in_progress")).toEqual([]);
  });

  it("knows only the default runner group for repository scopes", async () => {
    const github = new MemoryGitHub({ kind: "repo", owner: "octo", repo: "solo" });
    await expect(github.generateJitConfig({ name: "r", labels: ["a"], runnerGroupId: 2 })).rejects.toMatchObject({ status: 404 });
  });
});
