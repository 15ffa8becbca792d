/**
 * A controller listening beyond loopback must verify webhooks with a secret: otherwise anyone who
 * reaches the port can feed it job events.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { isLoopback } from "../components/host-urls.ts";
import { componentTypes } from "../components/resource-types.ts";
import { ofType } from "./stack-resource.ts";
import type { StackResource, Violation } from "./stack-resource.ts";

export function controllerExposureViolations(resources: readonly StackResource[]): Violation[] {
  return ofType(resources, componentTypes.host)
    .filter((host) => !isLoopback(String(host.props.listenAddress)) && host.props.webhookSecretConfigured !== true)
    .map((host) => ({
      message: `host ${String(host.props.name)}: the controller listens on ${String(host.props.listenAddress)} without a webhook secret`,
      urn: host.urn,
    }));
}

export const controllerNotExposedWithoutSecret: StackValidationPolicy = {
  name: "controller-not-exposed-without-webhook-secret",
  description: "A controller that listens on a non-loopback address has a webhook secret.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const violation of controllerExposureViolations(args.resources)) reportViolation(violation.message, violation.urn);
  },
};
