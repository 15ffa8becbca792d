/**
 * Defensive reads from an event payload typed `unknown`. Each read names the dotted field it
 * wanted, so a missing or mistyped field becomes a reason like
 * `pull_request.head.repo.id: expected a positive integer, got "12"`, never a crash.
 * Only own properties count: nothing is ever read through a prototype.
 */
import { quote } from "./reasons.ts";

export class MalformedPayload extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`${field}: expected ${expected}, got ${actual === undefined ? "nothing" : quote(actual)}`);
    this.name = "MalformedPayload";
  }
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a dotted path, or undefined if any step is missing or not an object. */
export function readPath(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const key of path.split(".")) {
    if (!isRecord(current) || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

export function readString(root: unknown, path: string): string {
  const value = readPath(root, path);
  if (typeof value !== "string") throw new MalformedPayload(path, "a string", value);
  return value;
}

/** GitHub ids: positive safe integers. */
export function readId(root: unknown, path: string): number {
  const value = readPath(root, path);
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new MalformedPayload(path, "a positive integer", value);
  }
  return value;
}

export function readObject(root: unknown, path: string): Json {
  const value = readPath(root, path);
  if (!isRecord(value)) throw new MalformedPayload(path, "an object", value);
  return value;
}

/** An object, or an explicit null (a deleted head repository). Missing is malformed. */
export function readObjectOrNull(root: unknown, path: string): Json | null {
  const value = readPath(root, path);
  if (value === null) return null;
  if (!isRecord(value)) throw new MalformedPayload(path, "an object or null", value);
  return value;
}

/** An optional boolean: missing means false; anything else but a boolean is malformed. */
export function readOptionalBoolean(root: unknown, path: string): boolean {
  const value = readPath(root, path);
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new MalformedPayload(path, "a boolean", value);
  return value;
}
