/**
 * Runs one job step the way the runner does: `sh -e -c <script>` in the job's work folder,
 * output captured (only its tail is kept and reported), killed with its whole process group
 * when the job is cancelled or runs out of time.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Conclusion } from "../protocol/runner-api.ts";
import { OutputTail } from "./output-tail.ts";

/** The protocol's limit on a step report's log. */
export const stepLogLimitBytes = 64 * 1024;

export interface StepRun {
  conclusion: Conclusion;
  exitCode: number;
  log: string;
  startedAt: string;
  completedAt: string;
}

export interface StepOptions {
  script: string;
  cwd: string;
  env: Record<string, string>;
  /** Aborting cancels the step (conclusion `cancelled`). */
  signal?: AbortSignal;
  shell?: string;
  /** This machine's clock (epoch ms), which stamps the step; the agent's clock by default. */
  now?: () => number;
}

export function runStep(options: StepOptions): Promise<StepRun> {
  const now = options.now ?? Date.now;
  const startedAt = new Date(now()).toISOString();
  const tail = new OutputTail(stepLogLimitBytes);
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({ conclusion: "cancelled", exitCode: 130, log: "", startedAt, completedAt: startedAt });
      return;
    }
    // detached: the step gets its own process group, so cancelling kills its children too.
    const child = spawn(options.shell ?? "sh", ["-e", "-c", options.script], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let cancelled = false;
    const cancel = () => {
      cancelled = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    options.signal?.addEventListener("abort", cancel, { once: true });
    child.stdout.on("data", (chunk: Buffer) => tail.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => tail.push(chunk));
    let spawnError: Error | undefined;
    child.on("error", (error) => {
      spawnError = error;
    });
    child.on("close", (code, signal) => {
      options.signal?.removeEventListener("abort", cancel);
      if (spawnError) tail.push(Buffer.from(`runner-fleet agent: cannot run step: ${spawnError.message}\n`));
      const exitCode = code ?? (signal ? 128 + constants.signals[signal] : 1);
      const conclusion: Conclusion = cancelled ? "cancelled" : code === 0 ? "success" : "failure";
      resolve({ conclusion, exitCode: spawnError ? 127 : exitCode, log: tail.text(), startedAt, completedAt: new Date(now()).toISOString() });
    });
  });
}
