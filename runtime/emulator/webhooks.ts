/**
 * `workflow_job` webhooks: the payload in GitHub's shape (pure) and its signed delivery.
 *
 * Deliveries go to every configured target, one at a time per target so a receiver sees a job's
 * events in order (queued before in_progress before completed), as GitHub's hookshot does in
 * practice. Each carries `X-GitHub-Event`, `X-GitHub-Delivery` (a GUID; a duplicate keeps it, as
 * GitHub's redeliveries do), `X-Hub-Signature-256` (HMAC-SHA256 of the exact body) and the
 * legacy SHA-1 `X-Hub-Signature`. Failed deliveries are not retried: GitHub does not either.
 */
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Logger } from "../log/logger.ts";
import type { FaultInjector } from "./faults.ts";
import { githubTime } from "./github-time.ts";
import { repository } from "./representations/repositories.ts";
import { jobSteps } from "./representations/runs.ts";
import { nodeId, type Urls } from "./representations/urls.ts";
import { organizationSimple, simpleUser } from "./representations/users.ts";
import type { Account, Installation, Job, Repository, WorkflowRun } from "./state.ts";

export type WorkflowJobAction = "queued" | "waiting" | "in_progress" | "completed";

export interface WorkflowJobParts {
  action: WorkflowJobAction;
  job: Job;
  run: WorkflowRun;
  repo: Repository;
  repoOwner: Account;
  sender: Account;
  installation: Installation | undefined;
}

export function workflowJobPayload(p: WorkflowJobParts, urls: Urls): Record<string, unknown> {
  const { job, run, repo } = p;
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    action: p.action,
    workflow_job: {
      id: job.id,
      run_id: job.runId,
      workflow_name: run.workflowName,
      head_branch: run.event.headBranch,
      run_url: `${api}/actions/runs/${job.runId}`,
      run_attempt: 1,
      node_id: nodeId("CheckRun", job.id),
      head_sha: run.headSha,
      url: `${api}/actions/jobs/${job.id}`,
      html_url: `${urls.html}/${repo.fullName}/actions/runs/${job.runId}/job/${job.id}`,
      status: job.status,
      conclusion: job.conclusion,
      created_at: githubTime(job.createdAt),
      started_at: githubTime(job.startedAt ?? job.createdAt),
      completed_at: job.completedAt === null ? null : githubTime(job.completedAt),
      name: job.name,
      steps: jobSteps(job),
      check_run_url: `${api}/check-runs/${job.id}`,
      labels: job.labels,
      runner_id: job.runnerId,
      runner_name: job.runnerName,
      runner_group_id: job.runnerGroupId,
      runner_group_name: job.runnerGroupName,
    },
    repository: repository(repo, p.repoOwner, urls),
    ...(p.repoOwner.type === "Organization" ? { organization: organizationSimple(p.repoOwner, urls) } : {}),
    sender: simpleUser(p.sender, urls),
    ...(p.installation ? { installation: { id: p.installation.id, node_id: nodeId("Installation", p.installation.id) } } : {}),
  };
}

export function signatureOf(secret: string, body: string, algorithm: "sha256" | "sha1" = "sha256"): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest("hex")}`;
}

export interface WebhookTarget {
  id: number;
  url: string;
  /** Never logged, never returned by the admin API. */
  secret: string;
}

export interface Delivery {
  /** X-GitHub-Delivery */
  guid: string;
  hookId: number;
  url: string;
  event: "workflow_job";
  action: string;
  jobId: number;
  /** `dropped` by the fault injector; `failed` when the receiver did not answer 2xx. */
  outcome: "pending" | "delivered" | "failed" | "dropped";
  responseStatus: number | null;
  /** True for the second copy sent by the `duplicateWebhook` fault. */
  duplicate: boolean;
  error?: string;
  at: string;
}

/** Seconds GitHub waits for a receiver before it gives up on a delivery. */
const deliveryTimeoutMs = 10_000;
const hookshotVersion = randomBytes(3).toString("hex");

export class WebhookDispatcher {
  readonly targets: WebhookTarget[] = [];
  readonly deliveries: Delivery[] = [];
  private chains = new Map<number, Promise<void>>();
  private nextHookId = 1;

  constructor(
    private readonly faults: FaultInjector,
    private readonly app: { id: number },
    private readonly now: () => number,
    private readonly logger?: Logger,
  ) {}

  addTarget(url: string, secret: string): WebhookTarget {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`webhook url must be http(s): ${url}`);
    const target = { id: this.nextHookId++, url, secret };
    this.targets.push(target);
    return target;
  }

  removeTarget(id: number): boolean {
    const index = this.targets.findIndex((t) => t.id === id);
    if (index < 0) return false;
    this.targets.splice(index, 1);
    return true;
  }

  /** Queues one event to every target; returns at once. */
  send(action: string, jobId: number, payload: Record<string, unknown>): void {
    const body = JSON.stringify(payload);
    for (const target of this.targets) {
      const guid = randomUUID();
      const fate = this.faults.forDelivery(action);
      const copies = fate === "duplicate" ? 2 : 1;
      for (let copy = 0; copy < copies; copy++) {
        const delivery: Delivery = {
          guid,
          hookId: target.id,
          url: target.url,
          event: "workflow_job",
          action,
          jobId,
          outcome: fate === "drop" ? "dropped" : "pending",
          responseStatus: null,
          duplicate: copy === 1,
          at: githubTime(this.now()),
        };
        this.deliveries.push(delivery);
        if (fate === "drop") continue;
        const previous = this.chains.get(target.id) ?? Promise.resolve();
        this.chains.set(target.id, previous.then(() => this.deliver(target, delivery, body)));
      }
    }
  }

  /** Resolves when every queued delivery has been attempted. */
  async idle(): Promise<void> {
    let pending = [...this.chains.values()];
    while (pending.length > 0) {
      await Promise.all(pending);
      const now = [...this.chains.values()];
      pending = now.filter((p) => !pending.includes(p));
    }
  }

  private async deliver(target: WebhookTarget, delivery: Delivery, body: string): Promise<void> {
    try {
      delivery.responseStatus = await post(target.url, body, {
        "content-type": "application/json",
        "user-agent": `GitHub-Hookshot/${hookshotVersion}`,
        "x-github-event": "workflow_job",
        "x-github-delivery": delivery.guid,
        "x-github-hook-id": String(target.id),
        "x-github-hook-installation-target-id": String(this.app.id),
        "x-github-hook-installation-target-type": "integration",
        "x-hub-signature": signatureOf(target.secret, body, "sha1"),
        "x-hub-signature-256": signatureOf(target.secret, body),
      });
      delivery.outcome = delivery.responseStatus >= 200 && delivery.responseStatus < 300 ? "delivered" : "failed";
    } catch (error) {
      delivery.outcome = "failed";
      delivery.error = error instanceof Error ? error.message : String(error);
    }
    this.logger?.debug({ guid: delivery.guid, action: delivery.action, jobId: delivery.jobId, outcome: delivery.outcome }, "webhook delivery");
  }
}

/** POSTs `body` and resolves with the response status (node:http: no experimental fetch on Node 18). */
function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = send(url, { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, timeout: deliveryTimeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${deliveryTimeoutMs / 1000} s`)));
    req.on("error", reject);
    req.end(body);
  });
}
