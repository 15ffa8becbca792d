import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignJobs, labelsMatch, mayServe, type SchedulableJob, type SchedulableRunner } from "../../../runtime/emulator/scheduler.ts";

const job = (id: number, labels: string[], over: Partial<SchedulableJob> = {}): SchedulableJob => ({
  id,
  repository: "acme/app",
  repositoryId: 1,
  labels,
  createdAt: id,
  ...over,
});
const runner = (id: number, labels: string[], over: Partial<SchedulableRunner> = {}): SchedulableRunner => ({
  id,
  labels,
  online: true,
  busy: false,
  access: { kind: "org", org: "acme", repositoryIds: "all" },
  ...over,
});

describe("labelsMatch (GitHub's rule: the runner has every label of the job)", () => {
  it("accepts a superset and compares case-insensitively", () => {
    expect(labelsMatch(["self-hosted", "Linux", "X64", "gpu"], ["self-hosted", "linux"])).toBe(true);
    expect(labelsMatch(["SELF-HOSTED"], ["self-hosted"])).toBe(true);
  });
  it("rejects a runner missing any job label", () => {
    expect(labelsMatch(["self-hosted", "linux"], ["self-hosted", "gpu"])).toBe(false);
  });
});

describe("mayServe", () => {
  it("limits repository runners to their repository", () => {
    expect(mayServe({ kind: "repo", repository: "Octo/Solo" }, job(1, [], { repository: "octo/solo" }))).toBe(true);
    expect(mayServe({ kind: "repo", repository: "octo/solo" }, job(1, [], { repository: "octo/other" }))).toBe(false);
  });
  it("limits organization runners to their organization and their group's repositories", () => {
    expect(mayServe({ kind: "org", org: "acme", repositoryIds: "all" }, job(1, [], { repository: "other/app" }))).toBe(false);
    expect(mayServe({ kind: "org", org: "acme", repositoryIds: [7] }, job(1, [], { repositoryId: 7 }))).toBe(true);
    expect(mayServe({ kind: "org", org: "acme", repositoryIds: [7] }, job(1, [], { repositoryId: 8 }))).toBe(false);
  });
});

describe("assignJobs", () => {
  it("gives each runner at most one job, oldest job first, longest-registered runner first", () => {
    const assignments = assignJobs([job(2, ["a"]), job(1, ["a"]), job(3, ["a"])], [runner(9, ["a"]), runner(4, ["a"])]);
    expect(assignments).toEqual([
      { jobId: 1, runnerId: 4 },
      { jobId: 2, runnerId: 9 },
    ]);
  });
  it("skips offline and busy runners", () => {
    expect(assignJobs([job(1, ["a"])], [runner(1, ["a"], { online: false }), runner(2, ["a"], { busy: true })])).toEqual([]);
  });
  it("lets a later job use a runner an earlier job could not", () => {
    const assignments = assignJobs([job(1, ["gpu"]), job(2, ["cpu"])], [runner(1, ["cpu"])]);
    expect(assignments).toEqual([{ jobId: 2, runnerId: 1 }]);
  });
  it("never breaks the rules, whatever the input (property)", () => {
    const labels = fc.subarray(["a", "B", "c", "gpu"], { minLength: 0 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ labels, repositoryId: fc.integer({ min: 1, max: 3 }) }), { maxLength: 8 }),
        fc.array(fc.record({ labels, online: fc.boolean(), busy: fc.boolean(), ids: fc.option(fc.subarray([1, 2, 3])) }), { maxLength: 8 }),
        (jobSpecs, runnerSpecs) => {
          const jobs = jobSpecs.map((j, i) => job(i + 1, j.labels, { repositoryId: j.repositoryId }));
          const runners = runnerSpecs.map((r, i) =>
            runner(i + 1, r.labels, { online: r.online, busy: r.busy, access: { kind: "org", org: "acme", repositoryIds: r.ids ?? "all" } }),
          );
          const result = assignJobs(jobs, runners);
          expect(new Set(result.map((a) => a.jobId)).size).toBe(result.length);
          expect(new Set(result.map((a) => a.runnerId)).size).toBe(result.length);
          for (const a of result) {
            const j = jobs.find((x) => x.id === a.jobId)!;
            const r = runners.find((x) => x.id === a.runnerId)!;
            expect(r.online && !r.busy && labelsMatch(r.labels, j.labels) && mayServe(r.access, j)).toBe(true);
          }
          // Maximal in the greedy sense: no unassigned job could still take a free runner.
          const freeRunners = runners.filter((r) => r.online && !r.busy && !result.some((a) => a.runnerId === r.id));
          for (const j of jobs.filter((x) => !result.some((a) => a.jobId === x.id))) {
            expect(freeRunners.some((r) => labelsMatch(r.labels, j.labels) && mayServe(r.access, j))).toBe(false);
          }
        },
      ),
    );
  });
});
