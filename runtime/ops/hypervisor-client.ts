/** The hypervisor adapter an operator command uses, as the controller would from the same config. */
import type { ControllerConfig } from "../config/controller-config.ts";
import { createLibvirtHypervisor } from "../hypervisor/libvirt/libvirt-hypervisor.ts";
import { createMemoryHypervisor } from "../hypervisor/memory/memory-hypervisor.ts";
import type { Hypervisor } from "../ports/hypervisor.ts";

/**
 * With the `memory` driver (lab and tests) the VMs live inside the controller's process, so a
 * separate command sees no domains and no overlays: only files and records.
 */
export function opsHypervisor(config: ControllerConfig): Hypervisor {
  if (config.hypervisor.driver === "memory") return createMemoryHypervisor();
  return createLibvirtHypervisor({ uri: config.libvirt.uri, domainType: config.hypervisor.domainType });
}
