/** The dev stack (Pulumi.dev.yaml) as mock config, optionally edited, with fresh stand-in secrets. */
import { fileURLToPath } from "node:url";
import { parseStackConfig } from "../../../components/stack-config.ts";
import type { FleetConfig } from "../../../components/stack-config.ts";
import type { MockRepository } from "./mock-program.ts";
import { readStackFile, toMockConfig } from "./stack-file.ts";
import type { MockConfig } from "./stack-file.ts";
import { devStandIns, generateDevSecrets } from "./stand-ins.ts";
import type { DevSecrets } from "./stand-ins.ts";

export const devStackPath = fileURLToPath(new URL("../../../Pulumi.dev.yaml", import.meta.url));

/** What the mock GitHub knows about the dev stack's repositories. */
export const devRepositories: Record<string, MockRepository> = {
  "acme-corp/api": { repoId: 11, visibility: "private" },
  "acme-corp/web": { repoId: 12, visibility: "internal" },
};

export interface DevStack {
  config: MockConfig;
  secrets: DevSecrets;
}

/** `edit` may change the parsed stack config (qualified keys) before it becomes mock config. */
export function devStack(
  edit?: (config: Record<string, unknown>) => void,
  extraStandIns: Record<string, string> = {},
  secrets: DevSecrets = generateDevSecrets(),
): DevStack {
  const config = structuredClone(readStackFile(devStackPath));
  edit?.(config);
  return { config: toMockConfig(config, { ...devStandIns(secrets), ...extraStandIns }), secrets };
}

/** The dev stack's hosts list, for edits. */
export function hostsOf(config: Record<string, unknown>): Record<string, unknown>[] {
  return config["runner-fleet:hosts"] as Record<string, unknown>[];
}

/** The mock config parsed the way the program parses it (for computing expected values). */
export function parseMockConfig(config: MockConfig): FleetConfig {
  const strip = (key: string) => key.slice("runner-fleet:".length);
  return parseStackConfig({
    values: Object.fromEntries(Object.entries(config.values).map(([k, v]) => [strip(k), v])),
    secretKeys: new Set(config.secretKeys.map(strip)),
  });
}
