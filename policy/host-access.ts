/**
 * How the stack touches hosts: the controller config (the hosts' only copy of the secrets) goes
 * over stdin into a 0600 file with logging off (mandatory); SSH host keys are pinned (advisory:
 * otherwise the first connection trusts whoever answers).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { hostLayout } from "../runtime/controller/endpoints.ts";
import { providerResourceTypes } from "../components/resource-types.ts";
import { objectProp } from "./stack-resource.ts";

const remoteTypes: string[] = [providerResourceTypes.remoteCommand, providerResourceTypes.copyToRemote];

export function configDeliveryViolations(props: Record<string, unknown>): string[] {
  const create = String(props.create ?? "");
  if (!create.includes(hostLayout.configFile)) return [];
  const violations: string[] = [];
  if (!/install -m 0?600 .*\/dev\/stdin/.test(create)) violations.push("the controller config is not written from stdin with mode 0600");
  // Presence, not value: during a preview the content is unknown (it needs the runner group id),
  // and reading an unknown value would make the engine skip the whole policy.
  if (!Object.prototype.hasOwnProperty.call(props, "stdin")) violations.push("the controller config is not delivered on stdin");
  if (props.logging !== "none") violations.push("the command writing the controller config logs its output");
  return violations;
}

export function hostKeyViolations(props: Record<string, unknown>): string[] {
  const connection = objectProp(props.connection) ?? {};
  return typeof connection.hostKey === "string" && connection.hostKey.length > 0
    ? []
    : [`SSH to ${String(connection.host)} does not pin the host key (set sshHostKey)`];
}

export const controllerConfigDelivery: ResourceValidationPolicy = {
  name: "controller-config-via-stdin",
  description: "The controller config reaches the host on stdin, lands in a 0600 file, and is never logged.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== providerResourceTypes.remoteCommand) return;
    for (const violation of configDeliveryViolations(args.props)) reportViolation(violation);
  },
};

export const sshHostKeyPinned: ResourceValidationPolicy = {
  name: "ssh-host-key-pinned",
  description: "SSH connections to hosts verify a pinned host key.",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (!remoteTypes.includes(args.type)) return;
    for (const violation of hostKeyViolations(args.props)) reportViolation(violation);
  },
};
