/**
 * The controllers of a deployed stack, from `pulumi stack output --json`: its `hosts` output
 * lists each host's `name` and `statusUrl` (components/host.ts, HostSummary).
 */
import { controllerBaseUrl, controllerUrlProblem } from "./controller-client.ts";

export interface StackController {
  name: string;
  url: string;
}

/** Throws an Error naming the bad field when the outputs are not what the stack exports. */
export function controllersFromStackOutputs(outputs: unknown): StackController[] {
  const hosts = (outputs as { hosts?: unknown } | null)?.hosts;
  if (!Array.isArray(hosts)) throw new Error("hosts: expected the stack's hosts output (an array); run: pulumi stack output --json");
  if (hosts.length === 0) throw new Error("hosts: the stack has no hosts");
  return hosts.map((host: unknown, i) => {
    const { name, statusUrl } = (host ?? {}) as { name?: unknown; statusUrl?: unknown };
    if (typeof name !== "string" || name === "") throw new Error(`hosts[${i}].name: expected a host name`);
    if (typeof statusUrl !== "string") throw new Error(`hosts[${i}].statusUrl: expected a URL`);
    const problem = controllerUrlProblem(statusUrl);
    if (problem) throw new Error(`hosts[${i}].statusUrl: ${problem}`);
    return { name, url: controllerBaseUrl(statusUrl) };
  });
}
