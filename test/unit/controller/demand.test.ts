import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { demandByPool, jobOwner, poolForJob, type QueuedJob } from "../../../runtime/controller/demand.ts";
import type { PoolConfig } from "../../../runtime/config/controller-config.ts";

const base = ["self-hosted", "linux", "x64", "runner-fleet"];
const pools: PoolConfig[] = [
  { name: "large", labels: [...base, "large"], min: 0, max: 2, vcpus: 4, memoryMiB: 4096 },
  { name: "small", labels: [...base], min: 1, max: 4, vcpus: 1, memoryMiB: 1024 },
];
const job = (id: number, labels: string[], queuedAt = 0, untrusted?: string): QueuedJob => ({
  id,
  runId: id * 10,
  repository: "acme/app",
  labels,
  queuedAt,
  seenAt: queuedAt,
  ...(untrusted ? { untrusted } : {}),
});

describe("poolForJob", () => {
  it("picks the most specific pool whose labels include the job's (case-insensitive)", () => {
    expect(poolForJob(pools, ["self-hosted", "Linux"])?.name).toBe("small");
    expect(poolForJob(pools, ["self-hosted", "LARGE"])?.name).toBe("large");
    expect(poolForJob(pools, ["ubuntu-latest"])).toBeUndefined();
    expect(poolForJob(pools, [...base, "gpu"])).toBeUndefined();
  });
});

describe("jobOwner", () => {
  it("is deterministic and always one of the peers", () => {
    fc.assert(
      fc.property(fc.nat(), fc.uniqueArray(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 1, maxLength: 6 }), (id, peers) => {
        const owner = jobOwner(id, peers);
        expect(peers).toContain(owner);
        expect(jobOwner(id, [...peers].reverse())).toBe(owner);
      }),
    );
  });

  it("spreads jobs across peers", () => {
    const peers = ["h1", "h2", "h3"];
    const owned = new Map(peers.map((p) => [p, 0]));
    for (let id = 1; id <= 900; id++) owned.set(jobOwner(id, peers), owned.get(jobOwner(id, peers))! + 1);
    for (const count of owned.values()) expect(count).toBeGreaterThan(200);
  });

  it("moves only the jobs of a peer that leaves", () => {
    const before = ["h1", "h2", "h3"];
    const after = ["h1", "h3"];
    for (let id = 1; id <= 300; id++) {
      const owner = jobOwner(id, before);
      if (owner !== "h2") expect(jobOwner(id, after)).toBe(owner);
    }
  });
});

describe("demandByPool", () => {
  const alone = { self: "h1", peers: ["h1"], now: 100_000, peerFallbackMs: 30_000 };

  it("assigns each job to its pool and leaves out foreign and untrusted jobs", () => {
    const demand = demandByPool(
      [job(1, ["self-hosted", "linux"]), job(2, ["self-hosted", "large"]), job(3, ["ubuntu-latest"]), job(4, base, 0, "bot sender")],
      pools,
      alone,
    );
    expect(demand.get("small")!.map((j) => j.id)).toEqual([1]);
    expect(demand.get("large")!.map((j) => j.id)).toEqual([2]);
  });

  it("with peers, counts only owned jobs until the fallback delay passes", () => {
    const peers = ["h1", "h2"];
    const jobs = Array.from({ length: 40 }, (_, i) => job(i + 1, base, 90_000));
    const fresh = demandByPool(jobs, pools, { ...alone, peers }).get("small")!;
    const ownedByMe = jobs.filter((j) => jobOwner(j.id, peers) === "h1");
    expect(fresh.map((j) => j.id)).toEqual(ownedByMe.map((j) => j.id));
    const other = demandByPool(jobs, pools, { ...alone, self: "h2", peers }).get("small")!;
    expect(fresh.length + other.length).toBe(jobs.length);
    const stale = demandByPool(jobs, pools, { ...alone, peers, now: 90_000 + 30_000 }).get("small")!;
    expect(stale).toHaveLength(jobs.length);
  });
});
