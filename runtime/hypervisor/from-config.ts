/**
 * The hypervisor adapter a controller config names. The controller, the operator commands, the
 * lab and the benchmarks all build it here, so they always talk to libvirt the same way.
 */
import type { ControllerConfig } from "../config/controller-config.ts";
import type { Hypervisor } from "../ports/hypervisor.ts";
import { createLibvirtHypervisor } from "./libvirt/libvirt-hypervisor.ts";
import { createMemoryHypervisor } from "./memory/memory-hypervisor.ts";
import type { GuestBehaviour } from "./memory/guest-behaviours.ts";

/**
 * With the `memory` driver (lab and tests) the VMs live inside the process that created the
 * adapter: `guest` is what its guests do (the controller runs the real agent in them); any other
 * process sees no domains and no overlays, only files and records.
 */
export function hypervisorFor(config: ControllerConfig, options: { guest?: GuestBehaviour } = {}): Hypervisor {
  const { driver, uri, domainType } = config.hypervisor;
  if (driver === "memory") return createMemoryHypervisor(options.guest ? { guest: options.guest } : {});
  return createLibvirtHypervisor({ uri, domainType });
}
