/**
 * Static guest addresses: each new VM gets an IPv4 address from the static half of the runner
 * subnet (runtime/protocol/guest-network.ts), recorded with the VM, so the guest needs no DHCP
 * round trip at boot and libvirt's filter gets its IP up front instead of learning it. Pure.
 */
import type { ControllerConfig } from "../config/controller-config.ts";
import { ipv4ToNumber, numberToIpv4, planSubnet } from "../protocol/guest-network.ts";

/**
 * A free address in the subnet's static half, or undefined when every one is taken. The search
 * starts at `hint` (any integer) and wraps, so VMs with different hints rarely take an address
 * the moment another VM gave it back (the gateway's ARP entry for it may still be the old one).
 */
export function allocateAddress(subnet: string, inUse: Iterable<string>, hint: number): string | undefined {
  const plan = planSubnet(subnet);
  const first = ipv4ToNumber(plan.staticStart);
  const size = ipv4ToNumber(plan.staticEnd) - first + 1;
  const taken = new Set<string>(inUse);
  const start = (((Math.trunc(hint) % size) + size) % size) >>> 0;
  for (let i = 0; i < size; i++) {
    const candidate = numberToIpv4(first + ((start + i) % size));
    if (!taken.has(candidate)) return candidate;
  }
  return undefined;
}

/** FNV-1a of the VM's name: a stable, spread-out starting point for its address search. */
export function addressHint(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/**
 * The address a new VM gets, given the addresses of the VMs still on record. Only kernel-boot
 * guests read an address from their command line; a disk-boot image asks DHCP (undefined here),
 * and so does any guest when the controller is not told the subnet or the static half is full.
 */
export function assignAddress(config: Pick<ControllerConfig, "image" | "network">, name: string, live: readonly { address?: string }[]): string | undefined {
  if (config.image.boot.kind !== "kernel" || config.network.subnet === undefined) return undefined;
  const inUse = live.flatMap((vm) => (vm.address === undefined ? [] : [vm.address]));
  return allocateAddress(config.network.subnet, inUse, addressHint(name));
}
