/**
 * A guest's IPv4 configuration as plain data, how the runner subnet is split between DHCP and
 * addresses the controller assigns, and how an assigned address reaches a kernel-booted guest:
 * `rf.net=static:ADDRESS/PREFIX:GATEWAY[:DNS,…]` on its command line, applied by guest/net-apply
 * (the one guest-side step, called by guest/guest-init, guest/udhcpc.script or any other source).
 * Pure: no I/O.
 */
import { isIP } from "node:net";

export interface GuestNetworkConfig {
  address: string;
  prefix: number;
  gateway: string;
  dns: readonly string[];
}

export interface SubnetPlan {
  gateway: string;
  netmask: string;
  prefix: number;
  /** libvirt's dnsmasq leases these (guests that ask by DHCP: disk-boot images). */
  dhcpStart: string;
  dhcpEnd: string;
  /** The controller assigns these (kernel-boot guests, which read `rf.net=`): never leased by DHCP. */
  staticStart: string;
  staticEnd: string;
}

/** The smallest subnet with room for the gateway, a DHCP half and a static half; and the largest sensible. */
const longestPrefix = 29;
const shortestPrefix = 8;

export function ipv4ToNumber(address: string): number {
  if (isIP(address) !== 4) throw new Error(`${JSON.stringify(address)} is not an IPv4 address`);
  return address.split(".").reduce((n, part) => n * 256 + Number(part), 0) >>> 0;
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
}

function prefixMask(prefix: number): number {
  return (0xffffffff << (32 - prefix)) >>> 0;
}

/** Network, broadcast and prefix of an IPv4 CIDR, or an error naming what is wrong with it. */
export function parseSubnet(subnet: string): { network: number; broadcast: number; prefix: number } {
  const [address, bits, extra] = subnet.split("/");
  const prefix = Number(bits);
  if (extra !== undefined || bits === undefined || !/^\d+$/.test(bits) || prefix > longestPrefix || prefix < shortestPrefix || isIP(address ?? "") !== 4) {
    throw new Error(`runner subnet ${JSON.stringify(subnet)} is not an IPv4 CIDR from /${shortestPrefix} to /${longestPrefix} (e.g. 10.213.0.0/24)`);
  }
  const mask = prefixMask(prefix);
  const network = (ipv4ToNumber(address!) & mask) >>> 0;
  return { network, broadcast: (network | (~mask >>> 0)) >>> 0, prefix };
}

/**
 * The gateway is the first address. The rest, bar the broadcast address, is split in two: DHCP
 * leases the lower half, the controller assigns the upper half, so the two never collide.
 */
export function planSubnet(subnet: string): SubnetPlan {
  const { network, broadcast, prefix } = parseSubnet(subnet);
  const first = network + 2;
  const last = broadcast - 1;
  const dhcpEnd = first + Math.floor((last - first + 1) / 2) - 1;
  return {
    gateway: numberToIpv4(network + 1),
    netmask: numberToIpv4(prefixMask(prefix)),
    prefix,
    dhcpStart: numberToIpv4(first),
    dhcpEnd: numberToIpv4(dhcpEnd),
    staticStart: numberToIpv4(dhcpEnd + 1),
    staticEnd: numberToIpv4(last),
  };
}

/** The whole configuration of a guest given `address` on `subnet`: the gateway routes and answers DNS. */
export function guestNetworkConfig(subnet: string, address: string): GuestNetworkConfig {
  const plan = planSubnet(subnet);
  return { address, prefix: plan.prefix, gateway: plan.gateway, dns: [plan.gateway] };
}

/**
 * The kernel command line argument guest/guest-init reads; it overrides an earlier `rf.net=dhcp`.
 * DNS is left out when it is the gateway (guest-init's default): images built before DNS was
 * added read the shorter form too.
 */
export function guestNetworkCmdlineArg(config: GuestNetworkConfig): string {
  for (const value of [config.address, config.gateway, ...config.dns]) ipv4ToNumber(value);
  const dnsIsGateway = config.dns.length === 1 && config.dns[0] === config.gateway;
  const dns = config.dns.length > 0 && !dnsIsGateway ? `:${config.dns.join(",")}` : "";
  return `rf.net=static:${config.address}/${config.prefix}:${config.gateway}${dns}`;
}
