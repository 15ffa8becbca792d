/**
 * The runner's side of the emulator (`runtime/protocol/runner-api.ts`), served under
 * `/_runner/`. A runner authenticates with the access token from its JIT config; the first
 * session uses the config up (a second one is 409), long polls deliver its one job, and step and
 * completion reports finish it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isClockSample } from "../protocol/clock-sample.ts";
import type { CompletionReport, Conclusion, SessionRequest, StepReport } from "../protocol/runner-api.ts";
import { credentialsOf } from "./auth.ts";
import type { EmulatedGitHub } from "./emulated-github.ts";
import { GitHubHttpError } from "./http-error.ts";
import { parseJsonBody, readBody, sendJson } from "./http-io.ts";

/** Longest long poll the emulator holds open. */
const maxWaitSeconds = 50;
const conclusions: readonly Conclusion[] = ["success", "failure", "cancelled"];

function objectBody(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new GitHubHttpError(400, "body must be a JSON object");
  return value as Record<string, unknown>;
}

function field<T>(body: Record<string, unknown>, key: string, check: (v: unknown) => v is T, what: string): T {
  const value = body[key];
  if (!check(value)) throw new GitHubHttpError(400, `${key} must be ${what}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isInteger = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const isConclusion = (v: unknown): v is Conclusion => typeof v === "string" && conclusions.includes(v as Conclusion);

export function parseSessionRequest(value: unknown): SessionRequest {
  const body = objectBody(value);
  return { agentName: field(body, "agentName", isString, "a string"), agentVersion: field(body, "agentVersion", isString, "a string") };
}

export function parseStepReport(value: unknown): StepReport {
  const body = objectBody(value);
  if (body.clock !== undefined && !isClockSample(body.clock)) {
    throw new GitHubHttpError(400, "clock must have the numbers guestSentAt ≤ guestReceivedAt and serviceReceivedAt ≤ serviceSentAt");
  }
  return {
    ...(body.clock === undefined ? {} : { clock: body.clock }),
    index: field(body, "index", isInteger, "an integer"),
    name: field(body, "name", isString, "a string"),
    conclusion: field(body, "conclusion", isConclusion, `one of ${conclusions.join(", ")}`),
    exitCode: field(body, "exitCode", isInteger, "an integer"),
    log: field(body, "log", isString, "a string"),
    startedAt: field(body, "startedAt", isString, "an ISO timestamp"),
    completedAt: field(body, "completedAt", isString, "an ISO timestamp"),
  };
}

export function parseCompletionReport(value: unknown): CompletionReport {
  return { conclusion: field(objectBody(value), "conclusion", isConclusion, `one of ${conclusions.join(", ")}`) };
}

/** Handles `path` (relative to `/_runner/`). */
export async function handleRunnerRequest(req: IncomingMessage, res: ServerResponse, path: string, url: URL, gh: EmulatedGitHub): Promise<void> {
  // Stamped first: the runner compares its clock with these two instants.
  const receivedAt = gh.now();
  const token = credentialsOf(req.headers.authorization);
  const body = parseJsonBody(await readBody(req));
  const method = req.method ?? "GET";
  let m: RegExpExecArray | null;

  if (method === "POST" && path === "sessions") {
    const runner = gh.runnerByToken(token);
    if (!runner) throw new GitHubHttpError(401, "Bad credentials");
    const request = parseSessionRequest(body);
    const session = gh.createSession(runner, request.agentName);
    sendJson(res, 201, { ...session, clock: { receivedAt, sentAt: gh.now() } });
    return;
  }
  if (method === "GET" && (m = /^sessions\/([^/]+)\/message$/.exec(path))) {
    const runner = gh.runnerForSession(decodeURIComponent(m[1]!), token);
    const waitSeconds = Math.min(maxWaitSeconds, Math.max(0, Number(url.searchParams.get("waitSeconds") ?? "0") || 0));
    const aborted = new AbortController();
    res.on("close", () => aborted.abort());
    const message = await gh.poll(runner, waitSeconds * 1000, aborted.signal);
    if (message) sendJson(res, 200, { ...message, clock: { receivedAt, sentAt: gh.now() } });
    else sendJson(res, 204, undefined);
    return;
  }
  if (method === "DELETE" && (m = /^sessions\/([^/]+)$/.exec(path))) {
    // Idempotent: after its job the ephemeral runner (and its session) is already gone.
    const runner = gh.runnerByToken(token);
    if (runner && runner.sessionId === decodeURIComponent(m[1]!)) gh.deleteSession(runner);
    sendJson(res, 204, undefined);
    return;
  }
  if (method === "POST" && (m = /^jobs\/(\d+)\/(renew|steps|complete)$/.exec(path))) {
    const runner = gh.runnerByToken(token);
    if (!runner) throw new GitHubHttpError(401, "Bad credentials");
    const jobId = Number(m[1]);
    if (m[2] === "renew") gh.renewJob(runner, jobId);
    else if (m[2] === "steps") gh.reportStep(runner, jobId, parseStepReport(body));
    else gh.completeJob(runner, jobId, parseCompletionReport(body));
    sendJson(res, 204, undefined);
    return;
  }
  throw new GitHubHttpError(404, "Not Found");
}
