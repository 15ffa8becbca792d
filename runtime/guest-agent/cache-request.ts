/**
 * Dependency caches inside the guest (docs/caches.md). The guest init (root) mounted each cache
 * read-only at boot and waits on a FIFO for one word once the job is known: `publish` swaps in
 * the VM's writable copy, `read` keeps the read-only one. The agent (unprivileged) decides from
 * the job's context with the same rule the controller applies to GitHub's record of the run;
 * the controller's decision is the one that counts (it alone promotes a copy).
 */
import { access, writeFile } from "node:fs/promises";
import type { JobMessage } from "../protocol/runner-api.ts";
import { cacheRequestDone, cacheRequestFifo, mayPublishCaches } from "../protocol/guest-caches.ts";

export interface CacheRequestOptions {
  fifo?: string;
  done?: string;
  timeoutMs?: number;
  say: (line: string) => void;
}

/** `undefined` when the VM has no caches (no FIFO). Never throws: a job runs without its caches rather than not at all. */
export async function requestCacheMode(job: JobMessage, options: CacheRequestOptions): Promise<"publish" | "read" | undefined> {
  const fifo = options.fifo ?? cacheRequestFifo;
  const done = options.done ?? cacheRequestDone;
  if (!(await exists(fifo))) return undefined;
  const mode = job.context && mayPublishCaches(job.context) ? "publish" : "read";
  try {
    await writeFile(fifo, `${mode}\n`);
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while (!(await exists(done))) {
      if (Date.now() > deadline) throw new Error("the guest init did not answer");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    options.say(`runner-fleet agent: dependency caches ${mode === "publish" ? "writable: this run may publish them" : "read-only"}`);
    return mode;
  } catch (error) {
    options.say(`runner-fleet agent: dependency caches: ${(error as Error).message}`);
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
