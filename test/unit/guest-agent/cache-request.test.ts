import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { requestCacheMode } from "../../../runtime/guest-agent/cache-request.ts";
import type { JobMessage } from "../../../runtime/protocol/runner-api.ts";

const job = (context?: JobMessage["context"]): JobMessage => ({ jobId: 1, runId: 1, repository: "acme/app", jobName: "j", steps: [], timeoutMinutes: 1, ...(context ? { context } : {}) });
const main = { event: "push", headBranch: "main", defaultBranch: "main", sameRepository: true };

/** The guest init's side: reads one word from the FIFO, then marks it answered. */
async function initSide(dir: string) {
  const fifo = join(dir, "request");
  execFileSync("mkfifo", [fifo]);
  const word = readFile(fifo, "utf8").then(async (text) => {
    await writeFile(join(dir, "done"), "");
    return text.trim();
  });
  return { fifo, done: join(dir, "done"), word };
}

describe("the agent's cache request to the guest init", () => {
  it.each([
    ["a push to the default branch", main, "publish"],
    ["a pull request", { ...main, event: "pull_request", headBranch: "pr-1" }, "read"],
    ["a push to another branch", { ...main, headBranch: "feature" }, "read"],
    ["a job message without context", undefined, "read"],
  ] as const)("%s asks for %s", async (_what, context, expected) => {
    const dir = await mkdtemp(join(tmpdir(), "rf-cache-request-"));
    const { fifo, done, word } = await initSide(dir);
    const said: string[] = [];
    expect(await requestCacheMode(job(context), { fifo, done, say: (l) => said.push(l) })).toBe(expected);
    expect(await word).toBe(expected);
    expect(said.join("\n")).toContain(expected === "publish" ? "writable" : "read-only");
  });

  it("does nothing on a VM without caches (no FIFO)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rf-cache-request-"));
    expect(await requestCacheMode(job(main), { fifo: join(dir, "none"), done: join(dir, "done"), say: () => undefined })).toBeUndefined();
  });

  it("gives up, saying so, when the init never answers; the job still runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rf-cache-request-"));
    const fifo = join(dir, "request");
    execFileSync("mkfifo", [fifo]);
    void readFile(fifo, "utf8");
    const said: string[] = [];
    expect(await requestCacheMode(job(main), { fifo, done: join(dir, "done"), timeoutMs: 100, say: (l) => said.push(l) })).toBeUndefined();
    expect(said.join("\n")).toContain("did not answer");
  });
});
