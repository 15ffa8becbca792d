/**
 * The host's hardware facts: what the controller checks pool shapes, requirements and PCI
 * passthrough against, and reports in status and metrics. The real source reads /proc and sysfs
 * under a root directory (`runtime/facts/sysfs-facts.ts`), so tests point it at fixture trees.
 */

/** A PCI address as sysfs spells it, `0000:01:00.0` (domain:bus:slot.function). */
export const pciAddressPattern = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

export interface PciDevice {
  /** `0000:01:00.0`. */
  address: string;
  /** PCI class as six hex digits, e.g. `030000` (VGA); 0x03xx is a display controller. */
  class: string;
  vendorId: string;
  deviceId: string;
  /** Bound kernel driver (`nvidia`, `vfio-pci`, …), or null when none is bound. */
  driver: string | null;
  /** The IOMMU group, or null when the IOMMU is off. */
  iommuGroup: number | null;
}

export interface NumaNode {
  id: number;
  cpus: number[];
  memoryMiB: number;
}

export interface HostFacts {
  /** Kernel machine name: `x86_64`, `aarch64`. */
  arch: string;
  cpu: { model: string; flags: string[]; cores: number; online: number[] };
  memoryMiB: number;
  hugepages: { sizeKiB: number; total: number; free: number };
  numaNodes: NumaNode[];
  iommu: { enabled: boolean; groups: number };
  pciDevices: PciDevice[];
}

export interface HostFactsSource {
  read(): Promise<HostFacts>;
}
