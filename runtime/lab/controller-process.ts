/**
 * A controller running as its own process, from the bundle the stack ships: how the lab, the
 * integration tests and the benchmarks run it (so a SIGKILL is a real crash).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { controllerEndpoints, controllerNodeFlags } from "../controller/endpoints.ts";
import type { StatusDocument } from "../controller/status-report.ts";

export interface ControllerProcess {
  child: ChildProcess;
  url: string;
  pid: number;
}

/**
 * `command` runs the fleet CLI with node, e.g. `[process.execPath, "dist/fleet.cjs"]`; the
 * controller's node flags go first, as on hosts. Logs go to `logFile`. `env` replaces this
 * process's environment (tests arm crash points through it). `prefix` runs it through another
 * command that execs it (the multi-host lab's `ip netns exec NS`), so the pid is still node's.
 */
export async function spawnController(
  command: readonly string[],
  configFile: string,
  logFile: string,
  env = process.env,
  prefix: readonly string[] = [],
): Promise<ControllerProcess> {
  const log = await open(logFile, "a", 0o600);
  const [executable, ...args] = [...prefix, command[0]!];
  const argv = [...args, ...controllerNodeFlags, ...command.slice(1), "controller", "--config", configFile];
  const child = spawn(executable!, argv, { stdio: ["ignore", "pipe", log.fd], env });
  await log.close();
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the controller did not start within 30 s; see ${logFile}`)), 30_000);
    lines.on("line", (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the controller exited with ${code} before listening; see ${logFile}`));
    });
  });
  return { child, url, pid: child.pid! };
}

/** SIGTERM (the controller drains), then SIGKILL if it has not exited after `graceMs`. */
export async function stopController(child: ChildProcess, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** A crash: SIGKILL, no chance to clean anything up. */
export async function killController(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

export async function fetchStatus(url: string): Promise<StatusDocument | undefined> {
  try {
    const response = await fetch(`${url}${controllerEndpoints.status}`);
    return response.ok ? ((await response.json()) as StatusDocument) : undefined;
  } catch {
    return undefined;
  }
}

export async function fetchMetrics(url: string): Promise<string> {
  const response = await fetch(`${url}${controllerEndpoints.metrics}`);
  return response.text();
}

/** Polls every `intervalMs` until `done`, failing with a message naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  done: () => boolean | Promise<boolean>,
  signal?: AbortSignal,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (signal?.aborted) throw new Error(`interrupted while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
