import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtemp, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheSchema, poolCachesShape } from "../../../runtime/caches/cache-shape.ts";
import { CacheStore, cacheDir } from "../../../runtime/caches/cache-store.ts";
import { generationFile, generationIdOf, generationsToEvict, nextGenerationId, overCap, publishDecision } from "../../../runtime/caches/generations.ts";
import { cacheStatus } from "../../../runtime/controller/cache-status.ts";
import { createMemoryCacheImages } from "../../../runtime/hypervisor/memory/memory-cache-images.ts";
import { mayPublishCaches, renderCacheMap } from "../../../runtime/protocol/guest-caches.ts";
import { parseControllerConfig } from "../../../runtime/config/controller-config.ts";

describe("mayPublishCaches: save on the default branch only", () => {
  const run = { event: "push", headBranch: "main", defaultBranch: "main", sameRepository: true };
  it.each([
    ["push to the default branch", run, true],
    ["schedule on the default branch", { ...run, event: "schedule" }, true],
    ["workflow_dispatch on the default branch", { ...run, event: "workflow_dispatch" }, true],
    ["push to another branch", { ...run, headBranch: "feature" }, false],
    ["pull request from the repository", { ...run, event: "pull_request", headBranch: "pr-1" }, false],
    ["pull request whose head branch is named like the default", { ...run, event: "pull_request" }, false],
    ["pull_request_target", { ...run, event: "pull_request_target" }, false],
    ["a fork's push", { ...run, sameRepository: false }, false],
    ["default branch unknown", { ...run, defaultBranch: null }, false],
    ["head branch unknown", { ...run, headBranch: null }, false],
    ["merge queue", { ...run, event: "merge_group", headBranch: "gh-readonly-queue/main/pr-1" }, false],
  ] as const)("%s → %s", (_what, context, expected) => {
    expect(mayPublishCaches(context)).toBe(expected);
  });
});

describe("publishDecision: fails closed", () => {
  it.each([
    [{ publisher: true, conclusion: "success" }, { promote: true }],
    [{ publisher: true, conclusion: "failure" }, { promote: false, reason: "job-not-successful" }],
    [{ publisher: true, conclusion: "cancelled" }, { promote: false, reason: "job-not-successful" }],
    [{ publisher: true, conclusion: undefined }, { promote: false, reason: "no-job" }],
    [{ publisher: false, conclusion: "success" }, { promote: false, reason: "read-only" }],
    [{ publisher: undefined, conclusion: "success" }, { promote: false, reason: "read-only" }],
  ] as const)("%j → %j", (facts, expected) => {
    expect(publishDecision(facts)).toEqual(expected);
  });

  it("never promotes unless GitHub says publisher and the job succeeded", () => {
    fc.assert(
      fc.property(fc.option(fc.boolean(), { nil: undefined }), fc.option(fc.constantFrom("success", "failure", "cancelled", "skipped"), { nil: undefined }), (publisher, conclusion) => {
        expect(publishDecision({ publisher, conclusion }).promote).toBe(publisher === true && conclusion === "success");
      }),
    );
  });
});

describe("generations", () => {
  it.each([
    [[0, 1, 2, 3, 4], 4, [], 2, [1, 0]],
    [[0, 1, 2, 3, 4], 4, [1], 2, [0]],
    [[0, 1, 2, 3, 4], 2, [], 0, [4, 3, 1, 0]],
    [[0], 0, [], 0, []],
    [[5, 6], undefined, [5], 0, [6]],
  ] as const)("ids %j, current %j, in use %j, keep %j → evict %j", (ids, current, inUse, keep, expected) => {
    expect(generationsToEvict(ids, current, new Set(inUse), keep)).toEqual(expected);
  });

  it("never evicts the current generation or one in use, and keeps `keep` others", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(50)), fc.nat(50), fc.uniqueArray(fc.nat(50)), fc.nat(5), (ids, current, inUse, keep) => {
        const gone = generationsToEvict(ids, current, new Set(inUse), keep);
        expect(gone).not.toContain(current);
        for (const id of inUse) expect(gone).not.toContain(id);
        expect(ids.filter((id) => id !== current).length - gone.length).toBeGreaterThanOrEqual(Math.min(keep, ids.filter((id) => id !== current).length));
      }),
    );
  });

  it.each([
    [[], undefined, 1],
    [[0], 0, 1],
    [[0, 3], 2, 4],
    [[], 7, 8],
  ] as const)("next id after %j (current %j) is %j", (ids, current, expected) => {
    expect(nextGenerationId(ids, current)).toBe(expected);
  });

  it("names round-trip and sort by age", () => {
    expect(generationFile(42)).toBe("gen-000042.qcow2");
    expect(generationIdOf("gen-000042.qcow2")).toBe(42);
    expect(generationIdOf(".gen-000042.qcow2.tmp")).toBeUndefined();
    expect(generationIdOf("current")).toBeUndefined();
  });

  it.each([
    [100 * 1024 * 1024, 100, false],
    [106 * 1024 * 1024, 100, false],
    [107 * 1024 * 1024, 100, true],
  ] as const)("%d bytes against %d MiB: over cap %s", (bytes, sizeMiB, expected) => {
    expect(overCap(bytes, sizeMiB)).toBe(expected);
  });
});

describe("the caches pool setting", () => {
  const pool = { name: "p", labels: ["self-hosted"], min: 0, max: 1, vcpus: 1, memoryMiB: 512 };
  const config = (caches: unknown) => ({
    host: { name: "h", vcpus: 2, memoryMiB: 2048 },
    github: { scope: { kind: "org", org: "o" }, repositories: ["o/r"], runnerGroupId: 1, auth: { kind: "token", token: "x".repeat(30) } },
    pools: [{ ...pool, caches }],
    image: { base: "/b.qcow2", boot: { kind: "disk" } },
    network: { kind: "libvirt-network", network: "n" },
  });
  it("accepts a cache and defaults keep to 2", () => {
    expect(parseControllerConfig(config([{ name: "npm", path: "/home/runner/.npm", sizeMiB: 512 }])).pools[0]!.caches).toEqual([
      { name: "npm", path: "/home/runner/.npm", sizeMiB: 512, keep: 2 },
    ]);
  });
  it.each([
    [[{ name: "NPM", path: "/a", sizeMiB: 64 }], "lowercase"],
    [[{ name: "a-very-long-cache-name", path: "/a", sizeMiB: 64 }], "1-15"],
    [[{ name: "npm", path: "relative", sizeMiB: 64 }], "absolute guest path"],
    [[{ name: "npm", path: "/home/runner/my cache", sizeMiB: 64 }], "no blanks"],
    [[{ name: "npm", path: "/home/../etc", sizeMiB: 64 }], ". or .."],
    [[{ name: "npm", path: "/a", sizeMiB: 8 }], "16"],
    [[{ name: "npm", path: "/a", sizeMiB: 64 }, { name: "npm", path: "/b", sizeMiB: 64 }], "names must be unique"],
    [[{ name: "npm", path: "/a", sizeMiB: 64 }, { name: "pip", path: "/a/b", sizeMiB: 64 }], "inside one another"],
    [[{ name: "npm", path: "/a", sizeMiB: 64, extra: 1 }], "extra"],
  ])("refuses %j, naming what is wrong (%s)", (caches, words) => {
    expect(() => parseControllerConfig(config(caches))).toThrow(new RegExp(`pools\\[0\\]\\.caches[\\s\\S]*${words.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  });
  it("keeps the shape module and the schema in one place", () => {
    expect(Object.keys(poolCachesShape)).toEqual(["caches"]);
    expect(cacheSchema.safeParse({ name: "go", path: "/root/go/pkg/mod", sizeMiB: 16 }).success).toBe(true);
  });
});

describe("the guest's cache map", () => {
  it("is one `<name> <path>` line per cache", () => {
    expect(renderCacheMap([{ name: "npm", path: "/home/runner/.npm" }, { name: "pip", path: "/home/runner/.cache/pip" }])).toBe(
      "npm /home/runner/.npm\npip /home/runner/.cache/pip\n",
    );
  });
});

describe("CacheStore (placeholder images)", () => {
  const cache = { name: "npm", path: "/home/runner/.npm", sizeMiB: 64, keep: 1 };
  async function store() {
    const stateDir = await mkdtemp(join(tmpdir(), "rf-cache-store-"));
    const removed: string[] = [];
    const s = new CacheStore({
      stateDir,
      images: createMemoryCacheImages(),
      overlays: { createOverlay: async () => undefined, removeOverlay: async (p) => void removed.push(p) },
    });
    return { s, dir: cacheDir(stateDir, "lab", "npm"), stateDir };
  }

  it("starts with an empty generation 0, promotes with a new pointer, and evicts all but keep", async () => {
    const { s, dir, stateDir } = await store();
    expect((await s.current("lab", cache)).id).toBe(0);
    const copy = join(stateDir, "copy.qcow2");
    await (await import("node:fs/promises")).writeFile(copy, "job wrote this");
    const one = await s.promote("lab", cache, copy);
    const two = await s.promote("lab", cache, copy);
    expect([one, two]).toMatchObject([{ id: 1 }, { id: 2 }]);
    expect((await readFile(join(dir, "current"), "utf8")).trim()).toBe("gen-000002.qcow2");
    expect(await readFile(join(dir, "gen-000002.qcow2"), "utf8")).toBe("job wrote this");
    expect(await s.evict("lab", cache, new Set([0]))).toEqual([]);
    expect(await s.evict("lab", cache, new Set())).toEqual([0]);
    expect((await readdir(dir)).sort()).toEqual(["current", "gen-000001.qcow2", "gen-000002.qcow2"]);
    expect(s.sizesOf("lab", "npm")).toMatchObject({ current: 2, generations: 2 });
  });

  it("refuses a generation over the cap and leaves the pointer alone", async () => {
    const { s, dir, stateDir } = await store();
    await s.current("lab", cache);
    const copy = join(stateDir, "big.qcow2");
    await (await import("node:fs/promises")).writeFile(copy, Buffer.alloc(2 * 1024 * 1024, 1));
    const refused = await s.promote("lab", { ...cache, sizeMiB: 0 }, copy);
    expect(refused).toMatchObject({ refused: expect.stringContaining("over the 0 MiB cap") });
    expect((await readFile(join(dir, "current"), "utf8")).trim()).toBe("gen-000000.qcow2");
    expect((await readdir(dir)).sort()).toEqual(["current", "gen-000000.qcow2"]);
  });

  it("serializes two promotions that finish together: two generations, never one name twice", async () => {
    const { s, stateDir } = await store();
    await s.current("lab", cache);
    const copy = join(stateDir, "c.qcow2");
    await (await import("node:fs/promises")).writeFile(copy, "x");
    const ids = await Promise.all([s.promote("lab", cache, copy), s.promote("lab", cache, copy)]);
    expect(ids.map((r) => ("id" in r ? r.id : -1)).sort()).toEqual([1, 2]);
  });
});

describe("cacheStatus", () => {
  const pools = [{ name: "lab", labels: ["x"], min: 0, max: 1, vcpus: 1, memoryMiB: 512, caches: [{ name: "npm", path: "/n", sizeMiB: 64, keep: 2 }] }];
  const entry = (caches: unknown, job = true) => ({ name: "vm", pool: "lab", outcome: "success", reason: "completed", detail: "", times: { requested: 0 }, ...(job ? { job: { id: 1 } } : {}), caches }) as never;
  it("counts hits over jobs that ran, and what became of their copies", () => {
    const status = cacheStatus(pools, [
      entry({ npm: { generation: 0, published: 1 } }),
      entry({ npm: { generation: 1, discarded: "read-only" } }),
      entry({ npm: { generation: 1, discarded: "read-only" } }),
      entry({ npm: { generation: 1, discarded: "no-job" } }, false),
    ], () => ({ current: 1, currentBytes: 2048, generations: 2, totalBytes: 4096 }));
    expect(status).toEqual([
      { pool: "lab", name: "npm", path: "/n", sizeMiB: 64, current: 1, currentBytes: 2048, generations: 2, totalBytes: 4096, jobs: 3, hits: 2, hitRate: 2 / 3, published: 1, discarded: 2 },
    ]);
  });
});

describe("fleet status's cache table", () => {
  const status = (caches: unknown) => ({ host: "h1", caches }) as never;
  const cache = { pool: "lab", name: "npm", path: "/home/runner/.npm", sizeMiB: 128, current: 3, currentBytes: 9 * 1048576, generations: 2, totalBytes: 10 * 1048576, jobs: 4, hits: 3, hitRate: 0.75, published: 1, discarded: 3 };
  it.each([
    [[status(undefined)], []],
    [[status([])], []],
  ])("shows nothing without caches", async (statuses, expected) => {
    const { renderCacheTable } = await import("../../../runtime/ops/cache-table.ts");
    expect(renderCacheTable(statuses)).toEqual(expected);
  });
  it("shows sizes, generations and the hit rate per host and cache", async () => {
    const { renderCacheTable } = await import("../../../runtime/ops/cache-table.ts");
    const [table] = renderCacheTable([status([cache, { ...cache, name: "pip", current: null, hitRate: null, jobs: 0, hits: 0 }])]);
    expect(table).toMatch(/h1\s+lab\/npm\s+\/home\/runner\/\.npm\s+3\s+9\.0 MiB of 128 MiB\s+2 \(10\.0 MiB\)\s+75% \(3\/4\)\s+1\/3/);
    expect(table).toMatch(/lab\/pip\s+\S+\s+-\s+.*\s+-\s+1\/3/);
  });
});
