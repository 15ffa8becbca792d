/** virsh through execFile semantics: `-c URI`, a timeout, typed errors carrying virsh's stderr. */
import { CommandError, runCommand } from "./run-command.ts";

export interface VirshOptions {
  uri: string;
  binary?: string;
  /** Per call; a stuck libvirtd must not stall the controller forever. */
  timeoutMs?: number;
}

export class VirshError extends Error {
  constructor(
    /** The virsh subcommand, e.g. `start`. */
    readonly command: string,
    readonly stderr: string,
    readonly exitCode: number | null,
    readonly timedOut: boolean,
  ) {
    const detail = stderr.trim().replace(/\s*\n\s*/g, " | ");
    super(`virsh ${command} ${timedOut ? "timed out" : "failed"}${detail ? `: ${detail}` : ""}`);
    this.name = "VirshError";
  }
}

export interface Virsh {
  readonly uri: string;
  /** Runs `virsh -c URI ARGS...`; resolves with stdout. Never pass secrets in `args`. */
  run(args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
}

export function createVirsh(options: VirshOptions): Virsh {
  const binary = options.binary ?? "virsh";
  const defaultTimeout = options.timeoutMs ?? 60_000;
  return {
    uri: options.uri,
    async run(args, runOptions = {}) {
      try {
        const { stdout } = await runCommand(binary, ["-q", "-c", options.uri, ...args], {
          input: runOptions.input,
          timeoutMs: runOptions.timeoutMs ?? defaultTimeout,
        });
        return stdout;
      } catch (error) {
        if (error instanceof CommandError) throw new VirshError(args[0] ?? "", error.stderr, error.exitCode, error.timedOut);
        throw error;
      }
    },
  };
}
