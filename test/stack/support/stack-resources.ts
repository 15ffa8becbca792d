/**
 * The stack as the policy engine sees it after a (mock) deployment: every resource with its
 * properties, secrets readable (policies run inside the engine), component outputs included.
 * Read from Pulumi's mock monitor, which keeps what the program registered.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackResource } from "../../../policy/stack-resource.ts";
import { isSecretWrapped } from "./secret-inputs.ts";

function revealDeep(value: unknown): unknown {
  if (isSecretWrapped(value)) return revealDeep(value.value);
  if (Array.isArray(value)) return value.map(revealDeep);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealDeep(v)]));
  }
  return value;
}

interface MonitorEntry {
  urn: string;
  state: unknown;
}

export function stackResources(): StackResource[] {
  const monitor = (pulumi.runtime as unknown as { getMonitor(): { resources?: Map<string, MonitorEntry> } }).getMonitor();
  if (!monitor.resources) throw new Error("not running under Pulumi's mock monitor");
  return [...monitor.resources.values()].map(({ urn, state }) => {
    // urn:pulumi:STACK::PROJECT::PARENT-TYPE$TYPE::NAME
    const [, , typeChain, ...nameParts] = urn.split("::") as [string, string, string, ...string[]];
    const name = nameParts.join("::");
    const type = typeChain.split("$").pop()!;
    // Component outputs arrive as a protobuf Struct; custom resources' state as plain data.
    const plain = typeof (state as { toJavaScript?: unknown }).toJavaScript === "function"
      ? (state as { toJavaScript(): unknown }).toJavaScript()
      : state;
    return { type, name, urn, props: revealDeep(plain) as Record<string, unknown> };
  });
}
