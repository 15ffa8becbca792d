/**
 * Webhook deliveries in: verify, deduplicate, record what they say about jobs, kick the loop.
 * Answers right away (GitHub gives up after 10 s and does not redeliver on its own); a
 * rejected delivery is logged with its id and reason and never crashes anything.
 */
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Clock } from "../ports/clock.ts";
import { createWorkflowJobVerifier, type HeaderBag } from "../github/workflow-job-event.ts";
import { senderProblem } from "../routing/decide.ts";
import { DeliveryDedupe } from "./delivery-dedupe.ts";
import type { DemandTracker } from "./demand-tracker.ts";
import type { WebhookReply } from "./http-server.ts";

export interface WebhookIntakeDeps {
  secret: string;
  demand: DemandTracker;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  /** Called after a delivery changed what we know. */
  onChange: () => void;
}

const statusFor = { bad_signature: 401, malformed: 400, ignored: 202 } as const;

export function createWebhookIntake(deps: WebhookIntakeDeps): (headers: HeaderBag, body: Buffer) => Promise<WebhookReply> {
  const verify = createWorkflowJobVerifier(deps.secret);
  const dedupe = new DeliveryDedupe();
  return async (headers, body) => {
    // Stamped on arrival: the controller's overhead for the VM this job gets starts here.
    const receivedAt = deps.clock.now();
    const parsed = await verify({ headers, rawBody: body });
    const delivery = headers["x-github-delivery"];
    if (!parsed.ok) {
      deps.metrics.webhookDeliveries.inc({ result: parsed.reason });
      if (parsed.reason !== "ignored") {
        deps.logger.warn({ event: "webhook_rejected", delivery, reason: parsed.reason, detail: parsed.detail }, "webhook rejected");
      }
      return { status: statusFor[parsed.reason], body: { result: parsed.reason, detail: parsed.detail } };
    }
    if (!dedupe.firstTime(parsed.deliveryId)) {
      deps.metrics.webhookDeliveries.inc({ result: "duplicate" });
      return { status: 200, body: { result: "duplicate" } };
    }
    // A bot's job is never served: no VM for it, and the trust gate cancels its run (and counts it).
    const untrusted = senderProblem(parsed.sender.login, parsed.sender.type);
    deps.demand.applyEvent(parsed.action, parsed.job, receivedAt, untrusted === undefined ? undefined : "bot");
    deps.metrics.webhookDeliveries.inc({ result: "accepted" });
    deps.logger.debug(
      { event: "webhook_accepted", delivery: parsed.deliveryId, action: parsed.action, jobId: parsed.job.id, runner: parsed.job.runnerName },
      "workflow_job delivery",
    );
    deps.onChange();
    return { status: 202, body: { result: "accepted" } };
  };
}
