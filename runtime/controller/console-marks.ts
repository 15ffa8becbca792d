/**
 * Progress read from a VM's serial console. The runner inside (actions/runner in production,
 * the guest agent in the lab) prints the same lines, so this works for both. It is an early,
 * free signal (no API call); GitHub's runner list and webhooks remain the authority.
 */
import { channelWaitingLine } from "../protocol/job-channel.ts";
import { runnerConsole } from "../protocol/runner-api.ts";

export interface ConsoleMarks {
  listening: boolean;
  /** On-claim VMs: the agent waits for its job on the job channel. */
  waiting?: boolean;
  /** Name of the job the runner started, if it printed one. */
  runningJob?: string;
  /** The job's result as the runner printed it (Succeeded, Failed, Canceled). */
  result?: string;
}

const runningPattern = new RegExp(`${escape(runnerConsole.running("")).trimEnd()}\\s*(.+)$`, "m");
const completedPattern = /Job (.+) completed with result: (\w+)/m;

export function parseConsole(text: string): ConsoleMarks {
  const marks: ConsoleMarks = { listening: text.includes(runnerConsole.listening) };
  if (text.includes(channelWaitingLine)) marks.waiting = true;
  const running = runningPattern.exec(text);
  if (running) marks.runningJob = running[1]!.trim();
  const completed = completedPattern.exec(text);
  if (completed) marks.result = completed[2]!;
  return marks;
}

/** The runner's result words mapped to GitHub's job conclusions. */
export function conclusionOf(result: string | undefined): "success" | "failure" | "cancelled" | undefined {
  switch (result?.toLowerCase()) {
    case "succeeded":
      return "success";
    case "failed":
      return "failure";
    case "canceled":
    case "cancelled":
      return "cancelled";
    default:
      return undefined;
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
