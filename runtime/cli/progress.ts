/**
 * Progress of long commands (lab, drain/resume --wait) for a person at a terminal: one status
 * line on stderr, rewritten in place with a spinner and the time elapsed, cleared at the end.
 * Piped, or with --json, there is none: output stays what scripts parse.
 */

export interface Progress {
  /** What is going on now, e.g. "jobs: 2 of 5 done". */
  update(text: string): void;
  /** Writes something else to the terminal (a report line) without the status line in the way. */
  interject(write: () => void): void;
  /** Clears the line; later updates are ignored. */
  stop(): void;
}

const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/** Erase the line, back to its start. */
const clearLine = "\r\x1b[2K";

export function progressLine(text: string, elapsedMs: number, frame: number, columns = 80): string {
  const line = `${frames[frame % frames.length]} ${text} · ${Math.floor(elapsedMs / 1000)}s`;
  // Longer than the terminal, it would wrap and the next rewrite would leave the first part behind.
  return line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line;
}

type TerminalStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** A status line when `stream` is a terminal (and neither --json nor TERM=dumb); else nothing. */
export function wantsProgress(stream: TerminalStream, env: NodeJS.ProcessEnv, json = false): boolean {
  return stream.isTTY === true && !json && env.TERM !== "dumb";
}

export const noProgress: Progress = { update: () => {}, interject: (write) => write(), stop: () => {} };

export function createProgress(stream: TerminalStream, options: { enabled: boolean; now?: () => number; tickMs?: number }): Progress {
  if (!options.enabled) return noProgress;
  const now = options.now ?? Date.now;
  const started = now();
  let text = "";
  let frame = 0;
  let stopped = false;
  // A terminal that reports no size (0) is taken as 80 columns.
  const draw = () => stream.write(clearLine + progressLine(text, now() - started, frame++, stream.columns || 80));
  const timer = setInterval(() => text && draw(), options.tickMs ?? 250);
  // The line must never keep a finished command alive.
  timer.unref();
  return {
    update(next) {
      if (stopped || next === text) return;
      text = next;
      draw();
    },
    interject(write) {
      if (stopped || !text) return write();
      stream.write(clearLine);
      write();
      draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (text) stream.write(clearLine);
    },
  };
}
