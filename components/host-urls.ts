/**
 * Where a host's controller answers: the URL dashboards and GitHub use, and the local URL the
 * deploy step checks health on.
 */
import { isIP } from "node:net";
import { controllerEndpoints } from "../runtime/controller/endpoints.ts";
import type { HostSettings } from "./stack-config.ts";

export interface HostUrls {
  /** Base URL for dashboards: publicUrl if set, else the listen address (host-local if loopback). */
  baseUrl: string;
  statusUrl: string;
  metricsUrl: string;
  /** What the deploy step curls on the host itself. */
  localHealthUrl: string;
  /** Where GitHub delivers webhooks; only hosts with a publicUrl get one. */
  webhookUrl?: string;
}

const wildcard = new Set(["0.0.0.0", "::"]);

export function isLoopback(address: string): boolean {
  return address === "::1" || (isIP(address) === 4 && address.startsWith("127."));
}

function urlHost(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}

export function hostUrls(host: Pick<HostSettings, "address" | "listenAddress" | "listenPort" | "publicUrl">, webhookPath: string): HostUrls {
  const port = host.listenPort;
  const local = host.listenAddress === "0.0.0.0" ? "127.0.0.1" : host.listenAddress === "::" ? "::1" : host.listenAddress;
  const localBase = `http://${urlHost(local)}:${port}`;
  const reachable = wildcard.has(host.listenAddress) ? host.address : host.listenAddress;
  const baseUrl = host.publicUrl ?? (isLoopback(host.listenAddress) ? localBase : `http://${urlHost(reachable)}:${port}`);
  return {
    baseUrl,
    statusUrl: `${baseUrl}${controllerEndpoints.status}`,
    metricsUrl: `${baseUrl}${controllerEndpoints.metrics}`,
    localHealthUrl: `${localBase}${controllerEndpoints.health}`,
    ...(host.publicUrl !== undefined ? { webhookUrl: `${host.publicUrl}${webhookPath}` } : {}),
  };
}
