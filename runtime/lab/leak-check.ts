/**
 * What a finished run must not leave behind: domains, overlays, runner registrations and
 * secret files carrying the owner prefix. The lab prints it; tests and the bench assert it.
 */
import { listFilesWithPrefix } from "../storage/atomic-file.ts";
import { stateDirs } from "../controller/naming.ts";
import type { GitHub } from "../ports/github.ts";
import type { Hypervisor } from "../ports/hypervisor.ts";

export interface Leaks {
  domains: string[];
  overlays: string[];
  runners: string[];
  secrets: string[];
}

export async function findLeaks(input: { prefix: string; stateDir: string; hypervisor: Hypervisor; github: GitHub }): Promise<Leaks> {
  const dirs = stateDirs(input.stateDir);
  const [domains, overlays, runners, secrets] = await Promise.all([
    input.hypervisor.listDomains(input.prefix),
    input.hypervisor.listOverlays(dirs.overlays, input.prefix),
    input.github.listRunners(input.prefix),
    listFilesWithPrefix(dirs.secrets, input.prefix),
  ]);
  return {
    domains: domains.map((d) => d.name),
    overlays: overlays.map((o) => o.path),
    runners: runners.map((r) => r.name),
    secrets,
  };
}

export function leakCount(leaks: Leaks): number {
  return leaks.domains.length + leaks.overlays.length + leaks.runners.length + leaks.secrets.length;
}
