/** Calls policy validators the way the policy engine does, collecting what they report. */
import type { ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import type { StackResource } from "../../../policy/stack-resource.ts";

export interface Reported {
  message: string;
  urn?: string;
}

export async function validateResource(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>): Promise<string[]> {
  const messages: string[] = [];
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  // The validators read type and props only; the rest of the engine's args is not needed here.
  const args = { type, props, name: "r", urn: `urn:pulumi:dev::runner-fleet::${type}::r` } as unknown as ResourceValidationArgs;
  for (const validate of validations) await validate(args, (message) => messages.push(message));
  return messages;
}

export async function validateStack(policy: StackValidationPolicy, resources: StackResource[]): Promise<Reported[]> {
  const reported: Reported[] = [];
  const args = { resources } as unknown as StackValidationArgs;
  await policy.validateStack(args, (message, urn) => reported.push({ message, ...(urn ? { urn } : {}) }));
  return reported;
}

export function resource(type: string, props: Record<string, unknown>, name = "r"): StackResource {
  return { type, name, urn: `urn:pulumi:dev::runner-fleet::${type}::${name}`, props };
}
