/**
 * The slice of a Pulumi resource the validators look at. Both policy SDK shapes (resource
 * validation args and stack-validation resources) have these fields, and tests build them as
 * plain data. Secret values arrive unwrapped: policies run inside the engine, which can read them.
 */
export interface StackResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
}

export interface Violation {
  message: string;
  urn?: string;
}

export function ofType(resources: readonly StackResource[], type: string): StackResource[] {
  return resources.filter((resource) => resource.type === type);
}

/** Providers get nested objects as JSON strings; other resources as objects. */
export function objectProp(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === "string") {
    try {
      const parsed = JSON.parse(value) as unknown;
      return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
}
