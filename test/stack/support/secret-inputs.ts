/**
 * How a secret input reaches the engine: wrapped in Pulumi's secret signature. These helpers
 * read through the wrapper, and build the view an observer without the stack's key would get.
 */
import * as pulumi from "@pulumi/pulumi";

const { specialSigKey, specialSecretSig } = pulumi.runtime as unknown as { specialSigKey: string; specialSecretSig: string };

export function isSecretWrapped(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

/** The value inside a secret wrapper (or the value itself when it is not secret). */
export function reveal<T = unknown>(value: unknown): T {
  return (isSecretWrapped(value) ? value.value : value) as T;
}

/** A deep copy with every secret subtree replaced: what state and logs show in plaintext. */
export function publicView(value: unknown): unknown {
  if (isSecretWrapped(value)) return "[secret]";
  if (Array.isArray(value)) return value.map(publicView);
  if (typeof value === "object" && value !== null) {
    if ((value as { __pulumiAsset?: boolean }).__pulumiAsset) return "[asset]";
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, publicView(v)]));
  }
  return value;
}
