/**
 * The libvirt network runner VMs live on and the nwfilter on every guest interface, rendered for
 * production hosts (components/libvirt-network.ts) and for the lab and tests (runtime/lab) by
 * this one module. Pure: no I/O, every interpolated value escaped.
 *
 * Guests reach the internet; they do not reach the host's own services (the bridge gateway
 * beyond DHCP/DNS, the host's declared addresses) or any private, link-local, CGNAT or loopback
 * range, IPv4 or IPv6. Unsolicited inbound traffic is dropped: nothing needs to connect to a
 * runner. The lab adds exactly one exception: the emulator's runner listener on the gateway.
 *
 * libvirt turns every rule into iptables commands, run one process each whenever a guest starts
 * and stops (three per rule with connection tracking, two without), and serializes that across
 * guests: the filter is kept to the rules that decide something (bench/network-cost.ts).
 */
import { isIP } from "node:net";
import { planSubnet } from "../../protocol/guest-network.ts";
import { escapeXml } from "./xml-text.ts";

export { planSubnet, type SubnetPlan } from "../../protocol/guest-network.ts";

export interface NetworkParams {
  /** libvirt names of the network and of the guest filter. */
  network: string;
  filter: string;
  /** Linux limits interface names to 15 characters. */
  bridge: string;
  /** IPv4 CIDR of the runner subnet, e.g. 10.213.0.0/24. */
  subnet: string;
  /**
   * `nat`: guests reach the internet through the host (production). `isolated`: no route off
   * the bridge at all (the lab and tests, whose guests need nothing beyond the host).
   */
  forward: "nat" | "isolated";
  /** The host's own addresses guests must not reach (literal IPs; hostnames are skipped). */
  hostAddresses: readonly string[];
  /** TCP ports of the gateway guests may reach after all (the lab's runner listener). */
  allowedGatewayPorts?: readonly number[];
}

/** Destinations no runner may reach, beyond the host's own addresses (IPv6: none at all, see ipv6Dropped). */
export const blockedRanges = {
  ipv4: [
    ["0.0.0.0", 8],
    ["10.0.0.0", 8],
    ["100.64.0.0", 10],
    ["127.0.0.0", 8],
    ["169.254.0.0", 16],
    ["172.16.0.0", 12],
    ["192.168.0.0", 16],
    // Multicast (224/4) and reserved (240/4) together.
    ["224.0.0.0", 3],
  ],
} as const;

const x = escapeXml;

export function renderNetworkXml(params: NetworkParams): string {
  const plan = planSubnet(params.subnet);
  return [
    "<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>",
    `  <name>${x(params.network)}</name>`,
    // Without <forward> libvirt routes nothing off the bridge and its dnsmasq offers no router.
    ...(params.forward === "nat" ? [`  <forward mode='nat'/>`] : []),
    `  <bridge name='${x(params.bridge)}' stp='on' delay='0'/>`,
    `  <ip address='${x(plan.gateway)}' netmask='${x(plan.netmask)}'>`,
    `    <dhcp>`,
    `      <range start='${x(plan.dhcpStart)}' end='${x(plan.dhcpEnd)}'/>`,
    `    </dhcp>`,
    `  </ip>`,
    // dnsmasq pings an address before it offers it and holds the offer back up to 3 s; guests
    // that start together then ran out of udhcpc's retries (seen in the lab). The filter's
    // anti-spoofing already keeps a guest off an address it was not given.
    `  <dnsmasq:options>`,
    `    <dnsmasq:option value='no-ping'/>`,
    `  </dnsmasq:options>`,
    "</network>",
    "",
  ].join("\n");
}

/** The host addresses to block: the gateway plus each literal IP given, deduplicated. */
export function blockedHostAddresses(params: Pick<NetworkParams, "subnet" | "hostAddresses">): { ipv4: string[]; ipv6: string[] } {
  const gateway = planSubnet(params.subnet).gateway;
  const all = [gateway, ...params.hostAddresses];
  const unspecified = new Set(["0.0.0.0", "::"]);
  const ipv4 = [...new Set(all.filter((a) => isIP(a) === 4 && !unspecified.has(a)))];
  const ipv6 = [...new Set(all.filter((a) => isIP(a) === 6 && !unspecified.has(a)).map((a) => a.toLowerCase()))];
  return { ipv4, ipv6 };
}

/**
 * libvirt's filter the guest filter starts with. Its `no-other-l2-traffic` drops every frame that
 * is not IPv4 or ARP at the bridge (ebtables), IPv6 included, so no IPv6 rule is needed after it.
 */
export const ipv6Dropped = "clean-traffic";

/**
 * A drop rule needs no connection tracking: without it libvirt writes the rule into the guest's
 * outbound and host chains only, not a third copy for replies that can never come.
 */
const stateless = ` statematch='false'`;

export function renderNwfilterXml(params: NetworkParams): string {
  const gateway = x(planSubnet(params.subnet).gateway);
  const hosts = blockedHostAddresses(params);
  const rule = (action: string, direction: string, priority: number, body: string, extra = "") =>
    `  <rule action='${action}' direction='${direction}' priority='${priority}'${extra}>\n    ${body}\n  </rule>`;
  const lines = [
    `<filter name='${x(params.filter)}' chain='root'>`,
    // MAC, IP and ARP anti-spoofing: a guest cannot pose as another guest or the gateway. And
    // every frame that is neither IPv4 nor ARP is dropped, both ways: no IPv6 at all.
    `  <filterref filter='${ipv6Dropped}'/>`,
    // DHCP with libvirt's dnsmasq, and DNS to the gateway only.
    rule("accept", "out", 100, `<udp srcportstart='68' dstportstart='67'/>`),
    rule("accept", "in", 100, `<udp srcportstart='67' dstportstart='68'/>`),
    rule("accept", "out", 100, `<udp dstipaddr='${gateway}' dstportstart='53'/>`),
    rule("accept", "out", 100, `<tcp dstipaddr='${gateway}' dstportstart='53'/>`),
    // The few host ports a guest needs (the lab's runner listener), before the host is blocked.
    ...(params.allowedGatewayPorts ?? []).map((port) =>
      rule("accept", "out", 150, `<tcp dstipaddr='${gateway}' dstportstart='${tcpPort(port)}'/>`),
    ),
    // The host itself: every other port of the gateway and its declared addresses. (IPv6 ones
    // too, like every IPv6 destination: see ipv6Dropped.)
    ...hosts.ipv4.map((ip) => rule("drop", "out", 200, `<all dstipaddr='${x(ip)}'/>`, stateless)),
    // Private, link-local, CGNAT, loopback, multicast and reserved ranges.
    ...blockedRanges.ipv4.map(([net, bits]) => rule("drop", "out", 300, `<all dstipaddr='${net}' dstipmask='${bits}'/>`, stateless)),
    // Everything else outbound is the internet; replies come back through connection tracking.
    rule("accept", "out", 500, `<all/>`),
    // Nothing may open a connection to a runner.
    rule("drop", "in", 900, `<all/>`),
    "</filter>",
    "",
  ];
  return lines.join("\n");
}

function tcpPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`allowedGatewayPorts: ${port} is not a TCP port`);
  return port;
}
