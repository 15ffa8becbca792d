/**
 * GitHub runs the committed action/dist/index.cjs, not the sources: it must be what a fresh
 * build of the committed sources produces. (The test run's global setup has just rebuilt it.)
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("action/dist/index.cjs", () => {
  it("is committed and identical to a fresh build", () => {
    let committed: Buffer;
    try {
      committed = execFileSync("git", ["show", "HEAD:action/dist/index.cjs"], { maxBuffer: 64 * 1024 * 1024, stdio: "pipe" });
    } catch {
      throw new Error("action/dist/index.cjs is not committed: run `node scripts/build.mjs` and commit it");
    }
    const fresh = readFileSync("action/dist/index.cjs");
    expect(
      fresh.equals(committed),
      "action/dist/index.cjs is stale: run `node scripts/build.mjs` and commit action/dist/index.cjs",
    ).toBe(true);
  });
});
