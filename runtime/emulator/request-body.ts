/**
 * Reading JSON request bodies the way GitHub validates them: a missing or mistyped member is a
 * 422 naming the member, in GitHub's wording.
 */
import { invalidRequest } from "./http-error.ts";

export type Body = Record<string, unknown>;

export function asObject(body: unknown): Body {
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidRequest("Body should be a JSON object.");
  }
  return body as Body;
}

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

export function requiredString(body: Body, key: string): string {
  const value = body[key];
  if (value === undefined) throw invalidRequest(`"${key}" wasn't supplied.`);
  if (typeof value !== "string") throw invalidRequest(`For 'properties/${key}', ${describe(value)} is not a string.`);
  return value;
}

export function optionalString(body: Body, key: string): string | undefined {
  return body[key] === undefined ? undefined : requiredString(body, key);
}

export function requiredInteger(body: Body, key: string): number {
  const value = body[key];
  if (value === undefined) throw invalidRequest(`"${key}" wasn't supplied.`);
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw invalidRequest(`For 'properties/${key}', ${JSON.stringify(value)} is not an integer.`);
  }
  return value;
}

export function optionalBoolean(body: Body, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw invalidRequest(`For 'properties/${key}', ${describe(value)} is not a boolean.`);
  return value;
}

export function stringArray(body: Body, key: string, limits: { min?: number; max?: number; required?: boolean } = {}): string[] | undefined {
  const value = body[key];
  if (value === undefined) {
    if (limits.required) throw invalidRequest(`"${key}" wasn't supplied.`);
    return undefined;
  }
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw invalidRequest(`For 'properties/${key}', ${describe(value)} is not an array of strings.`);
  }
  if (limits.min !== undefined && value.length < limits.min) {
    throw invalidRequest(`For 'properties/${key}', ${JSON.stringify(value)} should have at least ${limits.min} item(s).`);
  }
  if (limits.max !== undefined && value.length > limits.max) {
    throw invalidRequest(`For 'properties/${key}', the array has ${value.length} items; at most ${limits.max} are allowed.`);
  }
  return value as string[];
}

export function integerArray(body: Body, key: string, required = false): number[] | undefined {
  const value = body[key];
  if (value === undefined) {
    if (required) throw invalidRequest(`"${key}" wasn't supplied.`);
    return undefined;
  }
  if (!Array.isArray(value) || value.some((item) => typeof item !== "number" || !Number.isInteger(item))) {
    throw invalidRequest(`For 'properties/${key}', ${describe(value)} is not an array of integers.`);
  }
  return value as number[];
}

export function oneOf<T extends string>(body: Body, key: string, allowed: readonly T[]): T | undefined {
  const value = optionalString(body, key);
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) {
    throw invalidRequest(`For 'properties/${key}', "${value}" is not one of ${allowed.map((a) => `"${a}"`).join(", ")}.`);
  }
  return value as T;
}
