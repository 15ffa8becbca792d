/**
 * The controller's webhook intake: verify a delivery's `X-Hub-Signature-256` (with
 * `@octokit/webhooks`, a timing-safe HMAC-SHA256 check) and turn a `workflow_job` payload into
 * the port's plain `WorkflowJob`. Everything else is a typed rejection, never an exception:
 *
 *   bad_signature  missing or wrong signature (answer 401; never look at the body)
 *   malformed      signed, but not a workflow_job payload we can read (answer 400)
 *   ignored        another event (ping, pull_request, ...) (answer 202 and move on)
 *
 * Parsing is lenient where GitHub is: real payloads omit `created_at` on older events, and a
 * `queued` action may carry a job whose status is `waiting`.
 */
import { Webhooks } from "@octokit/webhooks";
import type { JobStatus, WorkflowJob } from "../ports/github.ts";

export type WorkflowJobAction = "queued" | "waiting" | "in_progress" | "completed";

export interface WorkflowJobEvent {
  deliveryId: string;
  action: WorkflowJobAction;
  job: WorkflowJob;
  sender: { login: string; type: string };
  repository: { fullName: string; id: number };
  /** Present on GitHub App deliveries. */
  installationId: number | null;
}

export type WorkflowJobRejection = {
  ok: false;
  reason: "bad_signature" | "malformed" | "ignored";
  /** Safe to log: names the problem, never echoes the body or the signature. */
  detail: string;
};

export type WorkflowJobParse = ({ ok: true } & WorkflowJobEvent) | WorkflowJobRejection;

export type HeaderBag = Record<string, string | string[] | undefined>;

const actions: readonly WorkflowJobAction[] = ["queued", "waiting", "in_progress", "completed"];
const statuses: readonly JobStatus[] = ["queued", "waiting", "in_progress", "completed"];

function header(headers: HeaderBag, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function reject(reason: WorkflowJobRejection["reason"], detail: string): WorkflowJobRejection {
  return { ok: false, reason, detail };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const stringOrNull = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** Pure: a verified body -> the event, or why it cannot be read. */
export function parseWorkflowJobPayload(deliveryId: string, body: unknown): WorkflowJobParse {
  if (!isObject(body)) return reject("malformed", "body is not a JSON object");
  const action = body.action;
  if (typeof action !== "string" || !actions.includes(action as WorkflowJobAction)) {
    return reject("malformed", `action ${JSON.stringify(action)} is not one of ${actions.join(", ")}`);
  }
  const job = body.workflow_job;
  const repository = body.repository;
  const sender = body.sender;
  if (!isObject(job)) return reject("malformed", "workflow_job is missing");
  if (!isObject(repository) || typeof repository.full_name !== "string" || typeof repository.id !== "number") {
    return reject("malformed", "repository.full_name or repository.id is missing");
  }
  if (!isObject(sender) || typeof sender.login !== "string") return reject("malformed", "sender.login is missing");
  if (typeof job.id !== "number" || typeof job.run_id !== "number") return reject("malformed", "workflow_job.id or run_id is missing");
  if (typeof job.status !== "string" || !statuses.includes(job.status as JobStatus)) {
    return reject("malformed", `workflow_job.status ${JSON.stringify(job.status)} is not a known status`);
  }
  if (!Array.isArray(job.labels) || job.labels.some((l) => typeof l !== "string")) {
    return reject("malformed", "workflow_job.labels is not a list of strings");
  }
  const startedAt = stringOrNull(job.started_at);
  const createdAt = stringOrNull(job.created_at) ?? startedAt;
  if (createdAt === null) return reject("malformed", "workflow_job.created_at and started_at are missing");
  const status = job.status as JobStatus;
  const installation = body.installation;
  return {
    ok: true,
    deliveryId,
    action: action as WorkflowJobAction,
    job: {
      id: job.id,
      runId: job.run_id,
      repository: repository.full_name,
      labels: job.labels as string[],
      status,
      conclusion: stringOrNull(job.conclusion),
      createdAt,
      // GitHub fills started_at with the creation time while a job waits; that is not a start.
      startedAt: status === "queued" || status === "waiting" ? null : startedAt,
      completedAt: stringOrNull(job.completed_at),
      runnerName: stringOrNull(job.runner_name),
    },
    sender: { login: sender.login, type: typeof sender.type === "string" ? sender.type : "User" },
    repository: { fullName: repository.full_name, id: repository.id },
    installationId: isObject(installation) && typeof installation.id === "number" ? installation.id : null,
  };
}

/** Verifies signatures with one secret; reuse it for every delivery. */
export function createWorkflowJobVerifier(secret: string): (input: { headers: HeaderBag; rawBody: string | Buffer }) => Promise<WorkflowJobParse> {
  const webhooks = new Webhooks({ secret });
  return async ({ headers, rawBody }) => {
    const signature = header(headers, "x-hub-signature-256");
    if (!signature) return reject("bad_signature", "X-Hub-Signature-256 is missing");
    const text = typeof rawBody === "string" ? rawBody : rawBody.toString("utf8");
    let valid: boolean;
    try {
      valid = await webhooks.verify(text, signature);
    } catch {
      valid = false;
    }
    if (!valid) return reject("bad_signature", "X-Hub-Signature-256 does not match the body");
    const event = header(headers, "x-github-event");
    if (event !== "workflow_job") return reject("ignored", `event ${event ?? "(none)"} is not workflow_job`);
    const deliveryId = header(headers, "x-github-delivery");
    if (!deliveryId) return reject("malformed", "X-GitHub-Delivery is missing");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return reject("malformed", "body is not JSON");
    }
    return parseWorkflowJobPayload(deliveryId, body);
  };
}

export function verifyAndParseWorkflowJob(input: { headers: HeaderBag; rawBody: string | Buffer; secret: string }): Promise<WorkflowJobParse> {
  return createWorkflowJobVerifier(input.secret)(input);
}
