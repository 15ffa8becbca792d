/**
 * A job's pickup as a user means it: from queued to its first step starting in the guest. The
 * guest stamps the step on its own clock, which runs up to a second off the host's; the clock
 * comparison the runner reported (`runtime/protocol/clock-sample.ts`) moves that stamp onto the
 * emulator's clock. Shared by the lab's table and the benchmarks.
 */
import type { Job } from "../emulator/state.ts";
import { estimateClockOffset, type ClockOffset } from "../protocol/clock-sample.ts";

export interface Pickup {
  /** Queued → the emulator handed the job to a runner (a sub-phase: the guest does not have it yet). */
  handedOutMs: number | undefined;
  /** Queued → the first step started in the guest, on the emulator's clock. */
  firstStepMs: number | undefined;
  /** The guest clock against the emulator's; undefined when the runner reported no comparison. */
  clock: ClockOffset | undefined;
  /**
   * The corrected start fell before the hand-out, which cannot happen: the error was within the
   * clock estimate's uncertainty, and the hand-out is used as the start.
   */
  clamped: boolean;
}

export function jobPickup(job: Pick<Job, "createdAt" | "startedAt" | "stepResults" | "runnerClock">): Pickup {
  const handedOutMs = job.startedAt === null ? undefined : job.startedAt - job.createdAt;
  const guestStart = job.stepResults[0]?.reportedStartedAt ?? null;
  const clock = job.runnerClock === null ? undefined : estimateClockOffset(job.runnerClock);
  if (job.startedAt === null || guestStart === null || clock === undefined) {
    return { handedOutMs, firstStepMs: undefined, clock, clamped: false };
  }
  // A step cannot start before its job was handed out: that bounds the clock's error from below.
  const corrected = guestStart + clock.offsetMs;
  const clamped = corrected < job.startedAt;
  return { handedOutMs, firstStepMs: Math.max(corrected, job.startedAt) - job.createdAt, clock, clamped };
}
