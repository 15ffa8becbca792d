/**
 * Webhooks to the controllers: signed with a secret, delivered over verified HTTPS, carrying
 * only workflow_job events, and pointed at a host the stack declares.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { componentTypes, providerResourceTypes } from "../components/resource-types.ts";
import { webhookEvents } from "../components/webhook.ts";
import { objectProp, ofType } from "./stack-resource.ts";
import type { StackResource, Violation } from "./stack-resource.ts";

const webhookTypes: string[] = [providerResourceTypes.repositoryWebhook, providerResourceTypes.organizationWebhook];

export function isWebhook(type: string): boolean {
  return webhookTypes.includes(type);
}

function configuration(props: Record<string, unknown>): Record<string, unknown> {
  return objectProp(props.configuration) ?? {};
}

export function webhookSecretViolations(props: Record<string, unknown>): string[] {
  const secret = configuration(props).secret;
  return typeof secret === "string" && secret.length >= 16
    ? []
    : [`webhook to ${String(configuration(props).url)} has no secret (16+ characters): anyone could forge job events`];
}

export function webhookTransportViolations(props: Record<string, unknown>): string[] {
  const config = configuration(props);
  const violations: string[] = [];
  if (!String(config.url ?? "").startsWith("https://")) violations.push(`webhook to ${String(config.url)} is not HTTPS`);
  if (config.insecureSsl === true || config.insecureSsl === "1") {
    violations.push(`webhook to ${String(config.url)} skips TLS certificate verification`);
  }
  return violations;
}

export function webhookEventViolations(props: Record<string, unknown>): string[] {
  const events = Array.isArray(props.events) ? (props.events as string[]) : [];
  const extra = events.filter((event) => !(webhookEvents as readonly string[]).includes(event));
  return extra.length === 0 ? [] : [`webhook sends events the controllers do not use: ${extra.join(", ")}`];
}

export function webhookTargetViolations(resources: readonly StackResource[]): Violation[] {
  const declared = new Set(
    ofType(resources, componentTypes.host)
      .map((host) => host.props.webhookUrl)
      .filter((url): url is string => typeof url === "string"),
  );
  return resources
    .filter((resource) => isWebhook(resource.type))
    .filter((hook) => !declared.has(String(configuration(hook.props).url)))
    .map((hook) => ({
      message: `webhook to ${String(configuration(hook.props).url)} does not point at a declared host's controller`,
      urn: hook.urn,
    }));
}

export const webhookHasSecret: ResourceValidationPolicy = {
  name: "webhook-has-secret",
  description: "Every webhook is signed with a secret of at least 16 characters.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!isWebhook(args.type)) return;
    for (const violation of webhookSecretViolations(args.props)) reportViolation(violation);
  },
};

export const webhookOverHttps: ResourceValidationPolicy = {
  name: "webhook-https",
  description: "Webhooks are delivered over HTTPS with certificate verification.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!isWebhook(args.type)) return;
    for (const violation of webhookTransportViolations(args.props)) reportViolation(violation);
  },
};

export const webhookOnlyJobEvents: ResourceValidationPolicy = {
  name: "webhook-workflow-job-only",
  description: "Webhooks carry only workflow_job events (less data leaves GitHub, less load on the controllers).",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (!isWebhook(args.type)) return;
    for (const violation of webhookEventViolations(args.props)) reportViolation(violation);
  },
};

export const webhookTargetsDeclaredHosts: StackValidationPolicy = {
  name: "webhook-targets-declared-hosts",
  description: "Webhooks point only at the controllers of hosts this stack declares.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const violation of webhookTargetViolations(args.resources)) reportViolation(violation.message, violation.urn);
  },
};
