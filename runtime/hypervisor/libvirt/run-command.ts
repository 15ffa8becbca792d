/**
 * Runs an external program the safe way: argv array, no shell, a timeout, bounded output, and
 * an error that carries the program's stderr. Input goes through stdin, never through argv.
 */
import { spawn } from "node:child_process";

export interface RunOptions {
  /** Written to the child's stdin (then closed). */
  input?: string;
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

const maxOutputBytes = 16 * 1024 * 1024;

export class CommandError extends Error {
  constructor(
    readonly file: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly timedOut: boolean,
  ) {
    const why = timedOut ? "timed out" : exitCode === null ? "was killed" : `exited with ${exitCode}`;
    const detail = stderr.trim().split("\n").slice(-5).join(" | ");
    super(`${file} ${args[0] ?? ""} ${why}${detail ? `: ${detail}` : ""}`);
    this.name = "CommandError";
  }
}

export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // LC_ALL=C: the messages we read back must not depend on the host's locale.
    const child = spawn(file, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C" },
      shell: false,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxOutputBytes) into.push(chunk);
    };
    child.stdout.on("data", collect(stdout));
    child.stderr.on("data", collect(stderr));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new CommandError(file, args, null, error.message, false));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const result = { stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") };
      if (code === 0 && !timedOut) resolve(result);
      else reject(new CommandError(file, args, code, result.stderr, timedOut));
    });
    // A child that exits without reading its input must not crash us with EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}
