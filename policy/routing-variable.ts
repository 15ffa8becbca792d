/**
 * Every repository the fleet serves has CI_SELF_HOSTED_TRUSTED_ROUTING set to "true" or "false":
 * workflows that read a missing variable would silently route nowhere the operator intended.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { componentTypes, providerResourceTypes } from "../components/resource-types.ts";
import { routingVariableNames } from "../components/routing.ts";
import { ofType } from "./stack-resource.ts";
import type { StackResource, Violation } from "./stack-resource.ts";

export function routingValueViolations(props: Record<string, unknown>): string[] {
  if (props.variableName !== routingVariableNames.trustedRouting) return [];
  return props.value === "true" || props.value === "false"
    ? []
    : [`${routingVariableNames.trustedRouting} in ${String(props.repository)} is "${String(props.value)}": workflows expect "true" or "false"`];
}

export function routingCoverageViolations(resources: readonly StackResource[]): Violation[] {
  const routed = new Set(
    ofType(resources, providerResourceTypes.actionsVariable)
      .filter((r) => r.props.variableName === routingVariableNames.trustedRouting && routingValueViolations(r.props).length === 0)
      .map((r) => String(r.props.repository).toLowerCase()),
  );
  const violations: Violation[] = [];
  for (const fleet of ofType(resources, componentTypes.fleet)) {
    const repositories = Array.isArray(fleet.props.repositories) ? (fleet.props.repositories as string[]) : [];
    for (const repository of repositories) {
      const name = repository.split("/")[1]?.toLowerCase() ?? repository.toLowerCase();
      if (!routed.has(name)) {
        violations.push({ message: `${repository} has no ${routingVariableNames.trustedRouting} variable`, urn: fleet.urn });
      }
    }
  }
  return violations;
}

export const routingVariableValue: ResourceValidationPolicy = {
  name: "routing-variable-boolean",
  description: `${routingVariableNames.trustedRouting} is "true" or "false".`,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== providerResourceTypes.actionsVariable) return;
    for (const violation of routingValueViolations(args.props)) reportViolation(violation);
  },
};

export const routingVariablePerRepository: StackValidationPolicy = {
  name: "routing-variable-per-repository",
  description: `Every repository the fleet serves has the ${routingVariableNames.trustedRouting} variable.`,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const violation of routingCoverageViolations(args.resources)) reportViolation(violation.message, violation.urn);
  },
};
