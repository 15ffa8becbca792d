/**
 * The runner protocol: how a runner inside a VM talks to the emulator (the stand-in for
 * GitHub's Actions service). Every call carries `Authorization: Bearer <AccessToken>` from the
 * JIT config. Paths are relative to the JIT config's `ServerUrl`.
 *
 *   POST   sessions                         body SessionRequest  -> 201 SessionResponse
 *          (401 unknown token, 409 the JIT config was already used: JIT configs are single-use;
 *          the answer carries the service's clock, which the runner compares with its own)
 *   GET    sessions/{sessionId}/message?waitSeconds=N            -> 200 JobMessage | 204 (long poll)
 *   POST   jobs/{jobId}/renew                                    -> 204 (while the job runs, every
 *          `jobRenewSeconds`: like actions/runner's job-lock renewal, it tells the service the
 *          runner is alive; a runner silent for longer than the service's limit is "lost", and
 *          its job fails)
 *   POST   jobs/{jobId}/steps               body StepReport      -> 204
 *   POST   jobs/{jobId}/complete            body CompletionReport -> 204
 *   DELETE sessions/{sessionId}                                   -> 204
 *
 * Step reports carry the step's start and end on the runner's clock, and the clock comparison made
 * on the poll that delivered the job (or when the session opened; `clock-sample.ts`), so the service can tell when a step started on its
 * own clock. Guest clocks run up to a second off the host's.
 *
 * A runner is "online" while it holds a session and polls. After it completes its one job the
 * emulator removes the (ephemeral) runner, as GitHub does.
 */

import type { ClockSample } from "./clock-sample.ts";

export const runnerApiPaths = {
  sessions: "sessions",
  message: (sessionId: string) => `sessions/${encodeURIComponent(sessionId)}/message`,
  session: (sessionId: string) => `sessions/${encodeURIComponent(sessionId)}`,
  renew: (jobId: number) => `jobs/${jobId}/renew`,
  steps: (jobId: number) => `jobs/${jobId}/steps`,
  complete: (jobId: number) => `jobs/${jobId}/complete`,
} as const;

/** How often a runner renews the job it is running. */
export const jobRenewSeconds = 20;

export interface SessionRequest {
  agentName: string;
  agentVersion: string;
}

export interface SessionResponse {
  sessionId: string;
  runnerId: number;
  /** The service's clock (epoch ms) when it received the request and when it answered. */
  clock?: { receivedAt: number; sentAt: number };
}

export interface JobStep {
  name: string;
  /** Shell script run with `sh -e` as the runner user. */
  run: string;
}

export interface JobMessage {
  /**
   * The service's clock (epoch ms) when the poll that delivers the job arrived and when it was
   * answered: a clock comparison right before the steps, since a guest's clock can jump after boot.
   */
  clock?: { receivedAt: number; sentAt: number };
  jobId: number;
  runId: number;
  /** `owner/name` */
  repository: string;
  jobName: string;
  steps: JobStep[];
  timeoutMinutes: number;
  /**
   * A slice of the job's `github` context (GitHub's job message carries it whole): enough for the
   * guest to tell whether the run may publish dependency caches (`mayPublishCaches`).
   */
  context?: { event: string; headBranch: string | null; defaultBranch: string | null; sameRepository: boolean };
}

export type Conclusion = "success" | "failure" | "cancelled";

export interface StepReport {
  index: number;
  name: string;
  conclusion: Conclusion;
  exitCode: number;
  /** Tail of the step's output, at most 64 KiB. */
  log: string;
  /** ISO timestamps with milliseconds, on the runner's clock. */
  startedAt: string;
  completedAt: string;
  /** The runner's clock compared with the service's as the job arrived (or when the session opened). */
  clock?: ClockSample;
}

export interface CompletionReport {
  conclusion: Conclusion;
}

/**
 * Console lines the runner prints, the same ones actions/runner prints. The controller reads
 * them from the serial log as an early, cheap signal of progress; GitHub stays the authority.
 */
export const runnerConsole = {
  connected: "√ Connected to GitHub",
  listening: "Listening for Jobs",
  running: (jobName: string) => `Running job: ${jobName}`,
  completed: (jobName: string, result: string) => `Job ${jobName} completed with result: ${result}`,
} as const;
