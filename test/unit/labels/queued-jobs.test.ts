import { describe, expect, it } from "vitest";
import { collectQueuedJobs, parseQueuedJobs } from "../../../runtime/labels/queued-jobs.ts";
import type { GitHub, WorkflowJob } from "../../../runtime/ports/github.ts";

const workflowJob = (id: number, repository: string, labels: string[]): WorkflowJob => ({
  id,
  runId: 1,
  repository,
  labels,
  status: "queued",
  conclusion: null,
  createdAt: "2026-01-01T00:00:00Z",
  startedAt: null,
  completedAt: null,
  runnerName: null,
});

describe("collectQueuedJobs", () => {
  it("asks the GitHub port for each repository's queued jobs", async () => {
    const calls: string[] = [];
    const github: Pick<GitHub, "listJobs"> = {
      async listJobs(repository, status) {
        calls.push(`${repository}:${status}`);
        return repository === "acme/app" ? [workflowJob(1, "acme/app", ["self-hosted"]), workflowJob(2, "acme/app", ["ubuntu-latest"])] : [];
      },
    };
    expect(await collectQueuedJobs(github, ["acme/app", "acme/lib"])).toEqual([
      { id: 1, repository: "acme/app", labels: ["self-hosted"] },
      { id: 2, repository: "acme/app", labels: ["ubuntu-latest"] },
    ]);
    expect(calls).toEqual(["acme/app:queued", "acme/lib:queued"]);
  });
});

describe("parseQueuedJobs", () => {
  it("reads GitHub's jobs response, keeping queued jobs and the repository from the url", () => {
    const response = {
      total_count: 2,
      jobs: [
        { id: 9, url: "https://api.github.com/repos/acme/app/actions/jobs/9", status: "queued", labels: ["self-hosted"] },
        { id: 10, url: "https://api.github.com/repos/acme/app/actions/jobs/10", status: "completed", labels: ["self-hosted"] },
      ],
    };
    expect(parseQueuedJobs(response, "jobs.json")).toEqual([{ id: 9, repository: "acme/app", labels: ["self-hosted"] }]);
  });

  it.each([
    [{}, 'jobs.json: expected a JSON array of jobs or {"jobs": [...]}'],
    [[1], "jobs.json: jobs[0]: expected an object"],
    [[{ id: "1", labels: [] }], "jobs.json: jobs[0].id: expected an integer"],
    [[{ id: 1, labels: [1] }], "jobs.json: jobs[0].labels: expected an array of strings"],
  ])("names what is wrong in %j", (value, message) => {
    expect(() => parseQueuedJobs(value, "jobs.json")).toThrow(message);
  });
});
