/**
 * The host's hardware facts in the stack's outputs, read through the controller's status
 * endpoint: after the restart step finds the controller healthy, one command on the host reads
 * `/status` on the controller's local address, and the program keeps its `hostFacts`, the
 * pools it refused, and which pools run emulated. Re-read whenever the controller restarts.
 */
import { controllerEndpoints } from "../runtime/controller/endpoints.ts";
import type { StatusDocument } from "../runtime/controller/status-report.ts";

export interface HostFactsOutput {
  facts: StatusDocument["hostFacts"];
  refusedPools: NonNullable<StatusDocument["refusedPools"]>;
  pools: { name: string; arch: string; emulated: boolean }[];
}

/** The command run on the host: the status document on stdout (it holds no secrets). */
export function renderFactsCommand(localHealthUrl: string): string {
  const statusUrl = localHealthUrl.replace(new RegExp(`${controllerEndpoints.health}$`), controllerEndpoints.status);
  return `curl -fsS --max-time 10 '${statusUrl}'`;
}

/** What the outputs keep of the status document; null when it is not one. */
export function hostFactsFromStatus(stdout: string): HostFactsOutput | null {
  let status: Partial<StatusDocument>;
  try {
    status = JSON.parse(stdout) as Partial<StatusDocument>;
  } catch {
    return null;
  }
  if (typeof status !== "object" || status === null || !Array.isArray(status.pools)) return null;
  return {
    facts: status.hostFacts ?? null,
    refusedPools: status.refusedPools ?? [],
    pools: status.pools.map((pool) => ({ name: pool.name, arch: pool.arch ?? "x86_64", emulated: pool.emulated ?? false })),
  };
}
