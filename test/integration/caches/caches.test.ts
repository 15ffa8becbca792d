/**
 * Dependency caches on real VMs (docs/caches.md), through `fleet lab --scenario caches`'s code
 * with the emulator checked against GitHub's OpenAPI description. One run, four jobs in order:
 * a failing push to main (its copy is discarded), a pull request (reads the empty generation,
 * cannot write), a push to main that fills the cache (published), a pull request that reads the
 * published files read-only, cannot write them, and downloads nothing.
 */
import { expect, it } from "vitest";
import { cachePath, runCacheScenario, writeProbe } from "../../../runtime/lab/cache-scenario.ts";
import { describeWithLibvirt, ensureLabImage, labImageDir } from "../../support/lab-image.ts";
import { checked } from "../../support/checked-emulator.ts";
import { labPackageDefaults } from "../../../runtime/lab/package-server.ts";

const listCache = `ls ${cachePath} | grep -c '\\.tgz$' || true`;

await describeWithLibvirt("dependency caches on real VMs", () => {
  it("publishes only a successful main job's cache; pull requests read it and cannot write", async () => {
    await ensureLabImage();
    const result = await runCacheScenario({
      driver: "libvirt",
      imageDir: labImageDir,
      controllerCommand: [process.execPath, "dist/fleet.cjs"],
      emulator: checked(),
      say: () => undefined,
      signal: AbortSignal.timeout(1_500_000),
      jobs: [
        { name: "main-fails", event: { name: "push", headBranch: "main" }, after: "echo failing on purpose; exit 1" },
        { name: "pr-on-empty", event: { name: "pull_request", pullRequest: { number: 1 } }, after: writeProbe },
        { name: "main-fills", event: { name: "push", headBranch: "main" } },
        { name: "pr-reads", event: { name: "pull_request", pullRequest: { number: 2 } }, after: `${writeProbe}\n${listCache}` },
      ],
    });
    const [mainFails, prOnEmpty, mainFills, prReads] = result.jobs;
    const all = labPackageDefaults.packages;

    // The failing main job filled its writable copy, but it was thrown away: the next job downloads everything.
    expect(mainFails).toMatchObject({ conclusion: "failure", downloads: all });
    expect(mainFails!.log).toContain(`${all} fetched, 0 from the cache`);
    expect(prOnEmpty).toMatchObject({ conclusion: "success", downloads: all });
    expect(prOnEmpty!.log).toContain("cache write: refused (read-only)");
    // The successful main job's copy became generation 1; the PR after it got it read-only.
    expect(mainFills).toMatchObject({ conclusion: "success", downloads: all });
    expect(prReads).toMatchObject({ conclusion: "success", downloads: 0 });
    expect(prReads!.log).toContain(`0 fetched, ${all} from the cache`);
    expect(prReads!.log).toContain("cache write: refused (read-only)");
    expect(prReads!.log).toMatch(new RegExp(`\\b${all}$`));

    // Nothing the PR jobs did (their own copies were writable to root in their guests) was promoted.
    expect(result.caches).toEqual([
      expect.objectContaining({ name: "npm", current: 1, generations: 2, jobs: 4, hits: 1, published: 1, discarded: 3 }),
    ]);
    expect(result.problems).toEqual([]);
  }, 1_500_000);
});
