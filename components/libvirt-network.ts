/**
 * The network runner VMs live on: a libvirt NAT network with its own bridge, subnet and DHCP,
 * and an nwfilter on every guest interface. Guests reach the internet; they do not reach the
 * host's own services (the bridge gateway beyond DHCP/DNS, the host's declared addresses) or any
 * private, link-local, CGNAT or loopback range, IPv4 or IPv6. Unsolicited inbound traffic is
 * dropped: nothing needs to connect to a runner.
 */
import { isIP } from "node:net";
import { scriptHeader, shellQuote, writeFileScript } from "./shell.ts";

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

/** Destinations no runner may reach, beyond the host's own addresses. */
export const blockedRanges = {
  ipv4: [
    ["0.0.0.0", 8],
    ["10.0.0.0", 8],
    ["100.64.0.0", 10],
    ["127.0.0.0", 8],
    ["169.254.0.0", 16],
    ["172.16.0.0", 12],
    ["192.168.0.0", 16],
    ["224.0.0.0", 4],
    ["240.0.0.0", 4],
  ],
  ipv6: [
    ["::1", 128],
    ["::ffff:0:0", 96],
    ["64:ff9b::", 96],
    ["fc00::", 7],
    ["fe80::", 10],
    ["ff00::", 8],
  ],
} as const;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
}

export interface SubnetPlan {
  gateway: string;
  netmask: string;
  dhcpStart: string;
  dhcpEnd: string;
}

/** Gateway is the first address, DHCP hands out the rest except the broadcast address. */
export function planSubnet(subnet: string): SubnetPlan {
  const [address, bits] = subnet.split("/") as [string, string];
  const prefix = Number(bits);
  const base = address.split(".").reduce((n, part) => n * 256 + Number(part), 0) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (base & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  return {
    gateway: numberToIpv4(network + 1),
    netmask: numberToIpv4(mask),
    dhcpStart: numberToIpv4(network + 2),
    dhcpEnd: numberToIpv4(broadcast - 1),
  };
}

export function renderNetworkXml(params: NetworkParams): string {
  const plan = planSubnet(params.subnet);
  return [
    "<network>",
    `  <name>${escapeXml(runnerNetwork.network)}</name>`,
    `  <forward mode='nat'/>`,
    `  <bridge name='${escapeXml(runnerNetwork.bridge)}' stp='on' delay='0'/>`,
    `  <ip address='${escapeXml(plan.gateway)}' netmask='${escapeXml(plan.netmask)}'>`,
    `    <dhcp>`,
    `      <range start='${escapeXml(plan.dhcpStart)}' end='${escapeXml(plan.dhcpEnd)}'/>`,
    `    </dhcp>`,
    `  </ip>`,
    "</network>",
    "",
  ].join("\n");
}

/** The host addresses to block: the gateway plus each literal IP given, deduplicated. */
export function blockedHostAddresses(params: NetworkParams): { ipv4: string[]; ipv6: string[] } {
  const gateway = planSubnet(params.subnet).gateway;
  const all = [gateway, ...params.hostAddresses];
  const unspecified = new Set(["0.0.0.0", "::"]);
  const ipv4 = [...new Set(all.filter((a) => isIP(a) === 4 && !unspecified.has(a)))];
  const ipv6 = [...new Set(all.filter((a) => isIP(a) === 6 && !unspecified.has(a)).map((a) => a.toLowerCase()))];
  return { ipv4, ipv6 };
}

export function renderNwfilterXml(params: NetworkParams): string {
  const gateway = escapeXml(planSubnet(params.subnet).gateway);
  const hosts = blockedHostAddresses(params);
  const rule = (action: string, direction: string, priority: number, body: string) =>
    `  <rule action='${action}' direction='${direction}' priority='${priority}'>\n    ${body}\n  </rule>`;
  const lines = [
    `<filter name='${escapeXml(runnerNetwork.filter)}' chain='root'>`,
    // MAC, IP and ARP anti-spoofing: a guest cannot pose as another guest or the gateway.
    `  <filterref filter='clean-traffic'/>`,
    // DHCP with libvirt's dnsmasq, and DNS to the gateway only.
    rule("accept", "out", 100, `<udp srcportstart='68' dstportstart='67'/>`),
    rule("accept", "in", 100, `<udp srcportstart='67' dstportstart='68'/>`),
    rule("accept", "out", 100, `<udp dstipaddr='${gateway}' dstportstart='53'/>`),
    rule("accept", "out", 100, `<tcp dstipaddr='${gateway}' dstportstart='53'/>`),
    // The host itself: every other port of the gateway and its declared addresses.
    ...hosts.ipv4.map((ip) => rule("drop", "out", 200, `<all dstipaddr='${escapeXml(ip)}'/>`)),
    ...hosts.ipv6.map((ip) => rule("drop", "out", 200, `<all-ipv6 dstipaddr='${escapeXml(ip)}'/>`)),
    // Private, link-local, CGNAT, loopback, multicast and reserved ranges.
    ...blockedRanges.ipv4.map(([net, bits]) =>
      rule("drop", "out", 300, `<all dstipaddr='${net}' dstipmask='${bits}'/>`),
    ),
    ...blockedRanges.ipv6.map(([net, bits]) =>
      rule("drop", "out", 300, `<all-ipv6 dstipaddr='${net}' dstipmask='${bits}'/>`),
    ),
    // Everything else outbound is the internet; replies come back through connection tracking.
    rule("accept", "out", 500, `<all/>`),
    rule("accept", "out", 500, `<all-ipv6/>`),
    // Nothing may open a connection to a runner.
    rule("drop", "in", 900, `<all/>`),
    rule("drop", "in", 900, `<all-ipv6/>`),
    "</filter>",
    "",
  ];
  return lines.join("\n");
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
