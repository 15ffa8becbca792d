/** One `fleet` subcommand. `run` returns the process exit code (see exit-codes.ts). */
export interface Command {
  /** One line for `fleet --help`. */
  summary: string;
  /** Full usage text, printed on `fleet CMD --help` and after a usage error. */
  usage: string;
  run(argv: string[], io: CommandIO): Promise<number>;
}

/** Where a command writes. Tests pass buffers; the CLI passes process streams. */
export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Aborts on SIGINT/SIGTERM, for long-running commands (emulator, controller, lab). */
  signal: AbortSignal;
}
