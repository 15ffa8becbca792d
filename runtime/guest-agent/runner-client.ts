/**
 * The runner protocol client (`runtime/protocol/runner-api.ts`): bearer-authenticated JSON over
 * fetch. Connection errors and 5xx/429 answers are retried with bounded backoff; any other
 * answer is final. The token never appears in an error message.
 */
import type { Clock } from "../ports/clock.ts";
import type { ClockSample } from "../protocol/clock-sample.ts";
import {
  runnerApiPaths,
  type CompletionReport,
  type JobMessage,
  type SessionRequest,
  type SessionResponse,
  type StepReport,
} from "../protocol/runner-api.ts";
import { backoffDelay, type BackoffPolicy } from "./backoff.ts";
import type { FetchLike, ResponseLike } from "./http-transport.ts";

export class RunnerProtocolError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined when the server could not be reached at all. */
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = "RunnerProtocolError";
  }
}

export class AbortedError extends Error {
  constructor() {
    super("aborted");
    this.name = "AbortedError";
  }
}

export interface RunnerClientOptions {
  serverUrl: string;
  token: string;
  fetch: FetchLike;
  backoff: BackoffPolicy;
  clock: Clock;
  signal?: AbortSignal;
  /** Told about each retry, for the console. */
  onRetry?: (info: { what: string; attempt: number; delayMs: number; reason: string }) => void;
}

export interface RunnerClient {
  /** Opens the session; `clock` compares this machine's clock with the service's, if it answered with its own. */
  createSession(request: SessionRequest): Promise<SessionResponse & { clockSample?: ClockSample }>;
  /** Long poll: the job message (with a clock comparison, if the service sent its clock), or undefined when the wait ended without one. */
  pollMessage(sessionId: string, waitSeconds: number): Promise<(JobMessage & { clockSample?: ClockSample }) | undefined>;
  /** Tells the service the runner is alive while it runs the job. */
  renewJob(jobId: number): Promise<void>;
  reportStep(jobId: number, report: StepReport): Promise<void>;
  complete(jobId: number, report: CompletionReport): Promise<void>;
  deleteSession(sessionId: string): Promise<void>;
}

/** Extra time past the long poll before a request counts as hung. */
const requestGraceMs = 15_000;

export function createRunnerClient(options: RunnerClientOptions): RunnerClient {
  const base = new URL(options.serverUrl.endsWith("/") ? options.serverUrl : `${options.serverUrl}/`);
  /** When the last attempt was sent: a retried request's clock sample starts at its last attempt. */
  let lastSentAt = 0;

  async function request(method: string, path: string, body: unknown, timeoutMs: number): Promise<ResponseLike> {
    const url = new URL(path, base);
    const what = `${method} ${path.replace(/\?.*$/, "")}`;
    for (let attempt = 0; ; attempt += 1) {
      if (options.signal?.aborted) throw new AbortedError();
      let reason: string;
      let status: number | undefined;
      const timeout = linkedTimeout(timeoutMs, options.signal);
      try {
        lastSentAt = options.clock.now();
        const response = await options.fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${options.token}`,
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: timeout.signal,
        });
        if (response.status < 500 && response.status !== 429) return response;
        status = response.status;
        reason = `HTTP ${response.status}`;
        await drain(response);
      } catch (error) {
        if (options.signal?.aborted) throw new AbortedError();
        reason = timeout.timedOut ? `no answer within ${timeoutMs} ms` : describeFetchError(error);
      } finally {
        timeout.dispose();
      }
      if (attempt >= options.backoff.retries) {
        throw new RunnerProtocolError(`${what} failed after ${attempt + 1} attempts: ${reason}`, status);
      }
      const delayMs = backoffDelay(attempt + 1, options.backoff);
      options.onRetry?.({ what, attempt: attempt + 1, delayMs, reason });
      await options.clock.sleep(delayMs, options.signal);
    }
  }

  async function expect(response: ResponseLike, what: string, statuses: number[]): Promise<void> {
    if (statuses.includes(response.status)) return;
    const text = await response.text().catch(() => "");
    throw new RunnerProtocolError(`${what} answered HTTP ${response.status}${text ? `: ${text.slice(0, 300)}` : ""}`, response.status);
  }

  const shortTimeout = 30_000;

  return {
    async createSession(body) {
      const response = await request("POST", runnerApiPaths.sessions, body, shortTimeout);
      const guestReceivedAt = options.clock.now();
      const guestSentAt = lastSentAt;
      await expect(response, "POST sessions", [200, 201]);
      const session = (await response.json()) as SessionResponse;
      return session.clock ? { ...session, clockSample: sampleOf(guestSentAt, session.clock, guestReceivedAt) } : session;
    },
    async pollMessage(sessionId, waitSeconds) {
      const path = `${runnerApiPaths.message(sessionId)}?waitSeconds=${waitSeconds}`;
      const response = await request("GET", path, undefined, waitSeconds * 1000 + requestGraceMs);
      const guestReceivedAt = options.clock.now();
      const guestSentAt = lastSentAt;
      if (response.status === 204) return undefined;
      await expect(response, "GET message", [200]);
      const job = (await response.json()) as JobMessage;
      return job.clock ? { ...job, clockSample: sampleOf(guestSentAt, job.clock, guestReceivedAt) } : job;
    },
    async renewJob(jobId) {
      const response = await request("POST", runnerApiPaths.renew(jobId), undefined, shortTimeout);
      await expect(response, "POST renew", [200, 204]);
      await drain(response);
    },
    async reportStep(jobId, report) {
      const response = await request("POST", runnerApiPaths.steps(jobId), report, shortTimeout);
      await expect(response, "POST steps", [200, 204]);
      await drain(response);
    },
    async complete(jobId, report) {
      const response = await request("POST", runnerApiPaths.complete(jobId), report, shortTimeout);
      await expect(response, "POST complete", [200, 204]);
      await drain(response);
    },
    async deleteSession(sessionId) {
      const response = await request("DELETE", runnerApiPaths.session(sessionId), undefined, shortTimeout);
      // Gone already is fine: the ephemeral runner is removed once its job completes.
      await expect(response, "DELETE session", [200, 204, 404]);
      await drain(response);
    },
  };
}

function sampleOf(guestSentAt: number, service: { receivedAt: number; sentAt: number }, guestReceivedAt: number): ClockSample {
  return { guestSentAt, serviceReceivedAt: service.receivedAt, serviceSentAt: service.sentAt, guestReceivedAt };
}

async function drain(response: ResponseLike): Promise<void> {
  await response.text().catch(() => "");
}

/** A short reason: the error code (ECONNREFUSED) where there is one, from node:http or fetch. */
function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    const own = (error as Error & { code?: string }).code;
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return own ?? cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}

/** An AbortSignal that fires after `ms` or when `parent` aborts (AbortSignal.any is Node 20+). */
function linkedTimeout(ms: number, parent: AbortSignal | undefined): { signal: AbortSignal; timedOut: boolean; dispose(): void } {
  const controller = new AbortController();
  const state = { signal: controller.signal, timedOut: false, dispose };
  const timer = setTimeout(() => {
    state.timedOut = true;
    controller.abort();
  }, ms);
  const onAbort = () => controller.abort();
  parent?.addEventListener("abort", onAbort, { once: true });
  function dispose(): void {
    clearTimeout(timer);
    parent?.removeEventListener("abort", onAbort);
  }
  return state;
}
