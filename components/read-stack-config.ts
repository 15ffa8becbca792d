/**
 * Reads the stack config from the Pulumi runtime and validates it, before any resource exists.
 * A problem ends the program with a RunError listing every offending key (no stack trace).
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../runtime/config/config-error.ts";
import { checkControllerConfigs } from "./controller-config-file.ts";
import { parseStackConfig } from "./stack-config.ts";
import type { FleetConfig, RawStackConfig } from "./stack-config.ts";

/**
 * Whether Pulumi holds a config key as a secret. The SDK knows (the CLI passes the list in
 * PULUMI_CONFIG_SECRET_KEYS, mocks via setAllConfig) but exports the check only internally.
 */
function isConfigSecret(fullKey: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  if (typeof runtime.isConfigSecret !== "function") {
    throw new Error("this @pulumi/pulumi version cannot tell secret config from plaintext; refusing to continue");
  }
  return runtime.isConfigSecret(fullKey);
}

export function rawStackConfig(namespace: string): RawStackConfig {
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(`${namespace}:`)) continue;
    const key = fullKey.slice(namespace.length + 1);
    values[key] = value;
    if (isConfigSecret(fullKey)) secretKeys.add(key);
  }
  return { values, secretKeys };
}

export function loadFleetConfig(raw: RawStackConfig, namespace: string): FleetConfig {
  const config = parseStackConfig(raw, namespace);
  const problems = checkControllerConfigs(config, namespace);
  if (problems.length > 0) throw new ConfigError("stack config", problems);
  return config;
}

export function readStackConfig(): FleetConfig {
  const namespace = pulumi.getProject();
  try {
    return loadFleetConfig(rawStackConfig(namespace), namespace);
  } catch (error) {
    if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
}
