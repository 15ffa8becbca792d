import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canServe } from "../../../runtime/labels/label-set.ts";
import { parseLabelPolicy } from "../../../runtime/labels/policy.ts";
import { preflight, type QueuedJob } from "../../../runtime/labels/preflight.ts";

const policy = parseLabelPolicy({ requiredBase: ["self-hosted", "linux", "x64", "runner-fleet"], allowed: ["large"] });
const base = ["self-hosted", "linux", "x64", "runner-fleet"];
const job = (id: number, labels: string[]): QueuedJob => ({ id, repository: "acme/app", labels });
const pools = [
  { name: "small", labels: [...base] },
  { name: "big", labels: [...base, "large"] },
];

describe("preflight", () => {
  it("gives the union of the fleet jobs' labels, base labels first, and which pool takes which job", () => {
    const report = preflight({
      jobs: [job(1, base), job(2, ["runner-fleet", "Large", "self-hosted", "linux", "x64"]), job(3, ["ubuntu-latest"])],
      pools,
      policy,
    });
    expect(report).toEqual({
      jobs: 3,
      hostedJobs: 1,
      labels: ["self-hosted", "linux", "x64", "runner-fleet", "Large"],
      pools: [
        { name: "small", jobs: [1] },
        { name: "big", jobs: [1, 2] },
      ],
      unservable: [],
    });
  });

  it("names jobs no pool can take", () => {
    const report = preflight({ jobs: [job(4, [...base, "large"])], pools: [pools[0]!], policy });
    expect(report.unservable).toEqual([
      { ...job(4, [...base, "large"]), code: "no-pool", message: "no pool has all of [self-hosted, linux, x64, runner-fleet, large]" },
    ]);
    expect(report.labels).toEqual([...base, "large"]);
  });

  it("names jobs outside the policy and leaves their labels out of the set", () => {
    const report = preflight({
      jobs: [job(5, ["self-hosted", "linux"]), job(6, [...base, "gpu"]), job(7, base)],
      pools,
      policy,
    });
    expect(report.unservable.map((u) => [u.id, u.code, u.message])).toEqual([
      [5, "outside-policy", "[self-hosted, linux]: no fleet label (runner-fleet); lacks x64"],
      [6, "outside-policy", "[self-hosted, linux, x64, runner-fleet, gpu]: not allowed: gpu"],
    ]);
    expect(report.labels).toEqual(base);
  });

  it("works from the pools alone when there is no policy", () => {
    const report = preflight({ jobs: [job(8, ["self-hosted", "gpu"]), job(9, ["ubuntu-latest"])], pools });
    expect(report.hostedJobs).toBe(1);
    expect(report.unservable.map((u) => [u.id, u.code])).toEqual([[8, "no-pool"]]);
    expect(report.labels).toEqual(["self-hosted", "gpu"]);
  });

  it("covers every fleet job within the policy with its label set, and no label is superfluous (property)", () => {
    const label = fc.constantFrom("self-hosted", "linux", "x64", "runner-fleet", "large", "LARGE", "ubuntu-latest", "gpu");
    fc.assert(
      fc.property(fc.array(fc.uniqueArray(label, { minLength: 1, maxLength: 6 }), { maxLength: 12 }), (labelSets) => {
        const jobs = labelSets.map((labels, i) => job(i + 1, labels));
        const report = preflight({ jobs, pools: [{ name: "all", labels: ["self-hosted", "linux", "x64", "runner-fleet", "large", "gpu"] }] });
        const outsidePolicy = new Set(report.unservable.filter((u) => u.code === "outside-policy").map((u) => u.id));
        const noPool = new Set(report.unservable.filter((u) => u.code === "no-pool").map((u) => u.id));
        const hosted = jobs.filter((j) => !j.labels.some((l) => l !== "ubuntu-latest"));
        expect(report.hostedJobs).toBe(hosted.length);
        // Jobs within the policy, including those today's pools lack labels for.
        const served = jobs.filter((j) => !hosted.includes(j) && !outsidePolicy.has(j.id));
        for (const j of served) expect(noPool.has(j.id)).toBe(!canServe(["self-hosted", "linux", "x64", "runner-fleet", "large", "gpu"], j.labels));
        for (const j of served) expect(canServe(report.labels, j.labels)).toBe(true);
        // Minimal: dropping any label strands some job.
        for (const dropped of report.labels) {
          const smaller = report.labels.filter((l) => l !== dropped);
          expect(served.some((j) => !canServe(smaller, j.labels))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
