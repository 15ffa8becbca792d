/**
 * The network runner VMs live on: a libvirt NAT network with its own bridge, subnet and DHCP,
 * and the project's nwfilter on every guest interface (what they allow: the renderer in
 * runtime/hypervisor/libvirt/network-xml.ts, which the lab and the tests boot guests on too).
 */
import * as shared from "../runtime/hypervisor/libvirt/network-xml.ts";
import { scriptHeader, shellQuote, writeFileScript } from "./shell.ts";

export { blockedHostAddresses, planSubnet } from "../runtime/hypervisor/libvirt/network-xml.ts";

export const runnerNetwork = {
  network: "runner-fleet",
  filter: "runner-fleet-guest",
  /** Linux limits interface names to 15 characters. */
  bridge: "rf-br0",
} as const;

export interface NetworkParams {
  /** IPv4 CIDR of the runner subnet, e.g. 10.213.0.0/24 (validated by the stack config). */
  subnet: string;
  /** The host's own addresses guests must not reach (literal IPs; hostnames are skipped). */
  hostAddresses: readonly string[];
}

function productionParams(params: NetworkParams): shared.NetworkParams {
  return { ...runnerNetwork, forward: "nat", ...params };
}

export function renderNetworkXml(params: NetworkParams): string {
  return shared.renderNetworkXml(productionParams(params));
}

export function renderNwfilterXml(params: NetworkParams): string {
  return shared.renderNwfilterXml(productionParams(params));
}

const virsh = "virsh -q -c qemu:///system";

/**
 * Defines (or redefines) the filter and the network and starts it. Runs only when the XML
 * changed: a changed network is restarted, which briefly detaches running guests (drain first).
 */
export function renderNetworkInstallScript(params: NetworkParams): string {
  const net = shellQuote(runnerNetwork.network);
  return [
    scriptHeader(`runner VM network ${runnerNetwork.network}`),
    writeFileScript("/etc/runner-fleet/libvirt/nwfilter.xml", renderNwfilterXml(params), "0644"),
    writeFileScript("/etc/runner-fleet/libvirt/network.xml", renderNetworkXml(params), "0644"),
    // libvirt redefines an existing filter or network in place (a filter even on running guests)
    // only when the XML names its UUID; without one it refuses ("already exists with uuid").
    "keep_uuid() {",
    `  uuid=$(${virsh} "$1-dumpxml" "$2" 2>/dev/null | sed -n 's:.*<uuid>\\(.*\\)</uuid>.*:\\1:p' | head -n 1 || true)`,
    `  if [ -n "$uuid" ]; then sed -i "1a\\  <uuid>$uuid</uuid>" "$3"; fi`,
    "}",
    `keep_uuid nwfilter ${shellQuote(runnerNetwork.filter)} /etc/runner-fleet/libvirt/nwfilter.xml`,
    `keep_uuid net ${net} /etc/runner-fleet/libvirt/network.xml`,
    `${virsh} nwfilter-define /etc/runner-fleet/libvirt/nwfilter.xml`,
    `if ${virsh} net-info ${net} >/dev/null 2>&1 && ${virsh} net-info ${net} | grep -E '^Active:[[:space:]]+yes' >/dev/null; then`,
    `  ${virsh} net-destroy ${net}`,
    `fi`,
    `${virsh} net-define /etc/runner-fleet/libvirt/network.xml`,
    `${virsh} net-autostart ${net}`,
    `${virsh} net-start ${net}`,
    "",
  ].join("\n");
}

export function renderNetworkRemoveScript(): string {
  const net = shellQuote(runnerNetwork.network);
  return [
    `${virsh} net-destroy ${net} 2>/dev/null || true`,
    `${virsh} net-undefine ${net} 2>/dev/null || true`,
    `${virsh} nwfilter-undefine ${shellQuote(runnerNetwork.filter)} 2>/dev/null || true`,
    `rm -f /etc/runner-fleet/libvirt/network.xml /etc/runner-fleet/libvirt/nwfilter.xml`,
  ].join("; ");
}
