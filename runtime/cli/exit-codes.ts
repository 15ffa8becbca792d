/**
 * Exit codes shared by every `fleet` subcommand (documented in README, "Operator commands").
 * Scripts and alerting can rely on them: 0 is healthy, everything else names what is wrong.
 */
export const ExitCode = {
  ok: 0,
  /** Unexpected failure (a bug, or an error the command could not classify). */
  error: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** The command ran and found the fleet degraded (unhealthy, leaks, failed criteria). */
  degraded: 3,
  /** A controller or GitHub could not be reached. */
  unreachable: 4,
  /** The command refused to act (for example: a guard condition or a missing --apply on a live change). */
  refused: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Thrown for bad command-line input; the dispatcher prints the message and usage, exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
