// Workflow runs, jobs and pull requests: what the controller's trust check and job polling read.
import type { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCheckedEmulator, type CheckedEmulator } from "../../support/checked-emulator.ts";
import { OpenApiContract } from "../../../runtime/emulator/openapi-check/openapi-contract.ts";
import { ProtocolRunner } from "../../support/protocol-runner.ts";

const contract = new OpenApiContract();
let lab: CheckedEmulator;
let acme: Octokit;
const repo = { owner: "acme", repo: "app" };
const steps = [{ name: "build", run: "make" }];

beforeAll(async () => {
  lab = await startCheckedEmulator({}, contract);
  acme = lab.installationClient("acme");
});
afterAll(async () => {
  await lab.close();
});

describe("workflow runs and jobs", () => {
  it("lists a queued job through its run, with GitHub's fields", async () => {
    const { jobId, runId } = lab.emulator.enqueueJob({ repository: "acme/app", labels: ["self-hosted", "rf-small"], jobName: "test", workflowName: "CI", steps });
    const runs = await acme.rest.actions.listWorkflowRunsForRepo({ ...repo, status: "queued" });
    expect(runs.data.workflow_runs.map((r) => r.id)).toContain(runId);
    const jobs = await acme.rest.actions.listJobsForWorkflowRun({ ...repo, run_id: runId });
    expect(jobs.data.jobs).toEqual([
      expect.objectContaining({ id: jobId, run_id: runId, name: "test", workflow_name: "CI", status: "queued", conclusion: null, labels: ["self-hosted", "rf-small"], runner_name: null }),
    ]);
    const one = await acme.rest.actions.getJobForWorkflowRun({ ...repo, job_id: jobId });
    expect(one.data.created_at).toBe(jobs.data.jobs[0]!.created_at);
  });

  it("puts a matrix's jobs in one run; a run of another repository is refused", async () => {
    const { runId } = lab.emulator.enqueueJob({ repository: "acme/app", labels: ["matrix"], jobName: "m1", steps });
    const { jobId: second } = lab.emulator.enqueueJob({ repository: "acme/app", labels: ["matrix"], jobName: "m2", steps, runId });
    const jobs = await acme.rest.actions.listJobsForWorkflowRun({ ...repo, run_id: runId });
    expect(jobs.data.jobs.map((j) => j.name)).toEqual(["m1", "m2"]);
    expect(jobs.data.jobs[1]!.id).toBe(second);
    expect(() => lab.emulator.enqueueJob({ repository: "acme/app", labels: ["matrix"], steps, runId: 999_999 })).toThrow(/not a run of acme\/app/);
  });

  it("filters runs by status or conclusion as a job moves through its life", async () => {
    const { jobId, runId } = lab.emulator.enqueueJob({ repository: "acme/app", labels: ["lifecycle"], steps });
    const { data } = await acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "lifecycle-runner", runner_group_id: 1, labels: ["lifecycle"] });
    const runner = new ProtocolRunner(data.encoded_jit_config);
    await runner.connect();
    const message = await runner.poll(2);
    expect(message?.jobId).toBe(jobId);
    const ids = async (status: "queued" | "in_progress" | "completed" | "failure") =>
      (await acme.rest.actions.listWorkflowRunsForRepo({ ...repo, status })).data.workflow_runs.map((r) => r.id);
    expect(await ids("in_progress")).toContain(runId);
    expect(await ids("queued")).not.toContain(runId);
    const job = (await acme.rest.actions.getJobForWorkflowRun({ ...repo, job_id: jobId })).data;
    expect(job).toMatchObject({ status: "in_progress", runner_name: "lifecycle-runner", runner_group_id: 1, runner_group_name: "Default" });
    await runner.runJob(message!, 0);
    expect(await ids("completed")).toContain(runId);
    expect(await ids("failure")).toContain(runId);
    const done = (await acme.rest.actions.getJobForWorkflowRun({ ...repo, job_id: jobId })).data;
    expect(done).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(done.steps?.[0]).toMatchObject({ name: "build", status: "completed", conclusion: "failure", number: 1 });
  });

  it("describes a push run: head repository is the repository itself", async () => {
    const { runId } = lab.emulator.enqueueJob({ repository: "acme/app", labels: ["x"], steps, event: { name: "push", sender: { login: "alice", type: "User" }, headBranch: "main" } });
    const run = (await acme.rest.actions.getWorkflowRun({ ...repo, run_id: runId })).data;
    expect(run).toMatchObject({ event: "push", head_branch: "main", pull_requests: [], actor: { login: "alice", type: "User" }, triggering_actor: { login: "alice" } });
    expect(run.head_repository.id).toBe(run.repository.id);
  });

  it("describes a same-repository pull request: listed in pull_requests, author association readable", async () => {
    const { runId } = lab.emulator.enqueueJob({
      repository: "acme/app",
      labels: ["x"],
      steps,
      event: { name: "pull_request", sender: { login: "bob", type: "User" }, pullRequest: { number: 7, authorAssociation: "MEMBER" }, headBranch: "feature" },
    });
    const run = (await acme.rest.actions.getWorkflowRun({ ...repo, run_id: runId })).data;
    expect(run.event).toBe("pull_request");
    expect(run.pull_requests?.map((p) => p.number)).toEqual([7]);
    expect(run.head_repository.full_name).toBe("acme/app");
    const pr = (await acme.rest.pulls.get({ ...repo, pull_number: 7 })).data;
    expect(pr).toMatchObject({ number: 7, author_association: "MEMBER", user: { login: "bob" }, head: { ref: "feature" } });
    expect(pr.head.repo.id).toBe(pr.base.repo.id);
  });

  it("describes a fork pull request: a different head repository and, as on GitHub, no pull_requests", async () => {
    const { runId } = lab.emulator.enqueueJob({
      repository: "acme/app",
      labels: ["x"],
      steps,
      event: { name: "pull_request", sender: { login: "mallory" }, pullRequest: { number: 8, headRepository: "mallory/app", authorAssociation: "FIRST_TIME_CONTRIBUTOR" } },
    });
    const run = (await acme.rest.actions.getWorkflowRun({ ...repo, run_id: runId })).data;
    expect(run.head_repository).toMatchObject({ full_name: "mallory/app", fork: true });
    expect(run.head_repository.id).not.toBe(run.repository.id);
    expect(run.pull_requests).toEqual([]);
    const pr = (await acme.rest.pulls.get({ ...repo, pull_number: 8 })).data;
    expect(pr.author_association).toBe("FIRST_TIME_CONTRIBUTOR");
    expect(pr.head.repo.full_name).toBe("mallory/app");
  });

  it("renders a deleted head repository as a ghost repository (the description requires one)", async () => {
    const { runId } = lab.emulator.enqueueJob({ repository: "acme/app", labels: ["x"], steps, event: { name: "pull_request_target", pullRequest: { number: 9, headRepository: null } } });
    const run = (await acme.rest.actions.getWorkflowRun({ ...repo, run_id: runId })).data;
    expect(run.head_repository.full_name).toMatch(/^ghost\//);
    expect(run.head_repository.id).not.toBe(run.repository.id);
  });

  it("answers 404 for runs, jobs and pulls that do not exist or belong to another repository", async () => {
    const { runId, jobId } = lab.emulator.enqueueJob({ repository: "acme/lib", labels: ["x"], steps });
    await expect(acme.rest.actions.getWorkflowRun({ ...repo, run_id: runId })).rejects.toMatchObject({ status: 404 });
    await expect(acme.rest.actions.getJobForWorkflowRun({ ...repo, job_id: jobId })).rejects.toMatchObject({ status: 404 });
    await expect(acme.rest.pulls.get({ ...repo, pull_number: 4242 })).rejects.toMatchObject({ status: 404 });
  });
});
