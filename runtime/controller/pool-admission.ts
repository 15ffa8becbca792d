/**
 * Whether this host can run each pool, judged at start against its hardware facts: required CPU
 * flags and GPUs, pinned cores, memory, hugepages and PCI passthrough. A pool the host cannot
 * hold is refused, with every reason named; the other pools run (docs/hardware.md). Pure.
 */
import type { ControllerConfig, PoolConfig } from "../config/controller-config.ts";
import type { HostFacts } from "../ports/host-facts.ts";
import { isGpu, pciVendorName } from "../facts/parse-facts.ts";

export interface PoolRefusal {
  pool: string;
  problems: string[];
}

export interface Admission {
  admitted: PoolConfig[];
  refused: PoolRefusal[];
}

export function admitPools(config: ControllerConfig, facts: HostFacts): Admission {
  const admitted: PoolConfig[] = [];
  const refused: PoolRefusal[] = [];
  const hugepagesMiB = Math.floor((facts.hugepages.total * facts.hugepages.sizeKiB) / 1024);
  const hostHugepages = config.host.hugepagesMiB ?? 0;
  const pinned = new Set(config.pools.flatMap((p) => p.cpuPinning?.cores ?? []));
  const unpinnedCores = facts.cpu.online.filter((core) => !pinned.has(core));
  for (const pool of config.pools) {
    const problems = poolProblems(pool, facts);
    if (!pool.cpuPinning && pinned.size > 0 && unpinnedCores.length === 0) {
      problems.push(`every online CPU of this host (${facts.cpu.online.length}) is pinned by other pools: its unpinned VMs would have none to run on`);
    }
    if (pool.hugepages && hostHugepages > hugepagesMiB) {
      problems.push(`host.hugepagesMiB is ${hostHugepages} but the host's hugepage pool holds ${hugepagesMiB} MiB (HugePages_Total ${facts.hugepages.total} × ${facts.hugepages.sizeKiB} kB)`);
    }
    if (problems.length === 0) admitted.push(pool);
    else refused.push({ pool: pool.name, problems });
  }
  return { admitted, refused };
}

export function poolProblems(pool: PoolConfig, facts: HostFacts): string[] {
  const problems: string[] = [];
  const missingFlags = (pool.requires?.cpuFlags ?? []).filter((flag) => !facts.cpu.flags.includes(flag));
  if (missingFlags.length > 0) problems.push(`requires.cpuFlags: the host's CPU (${facts.cpu.model}) lacks ${missingFlags.join(", ")}`);
  const wanted = pool.requires?.gpu;
  if (wanted !== undefined) {
    const gpus = facts.pciDevices.filter(isGpu);
    if (!gpus.some((gpu) => wanted === "any" || pciVendorName(gpu.vendorId) === wanted)) {
      const seen = gpus.map((gpu) => `${pciVendorName(gpu.vendorId)} ${gpu.address}`).join(", ");
      problems.push(`requires.gpu: no ${wanted === "any" ? "" : `${wanted} `}GPU on this host (${seen === "" ? "it has none" : `it has ${seen}`})`);
    }
  }
  const offline = (pool.cpuPinning?.cores ?? []).filter((core) => !facts.cpu.online.includes(core));
  if (offline.length > 0) problems.push(`cpuPinning.cores ${offline.join(", ")} are not online CPUs of this host (online: ${facts.cpu.online.length} CPUs)`);
  const memory = pool.memoryLimitMiB ?? pool.memoryMiB;
  if (memory > facts.memoryMiB) problems.push(`one VM needs ${memory} MiB, the host has ${facts.memoryMiB} MiB`);
  if (pool.hugepages && facts.hugepages.free * facts.hugepages.sizeKiB < pool.memoryMiB * 1024) {
    problems.push(`hugepages: one VM needs ${pool.memoryMiB} MiB, ${Math.floor((facts.hugepages.free * facts.hugepages.sizeKiB) / 1024)} MiB of hugepages are free`);
  }
  problems.push(...deviceProblems(pool.devices ?? [], facts));
  return problems;
}

/**
 * What stops PCI passthrough of these devices: no IOMMU, a device missing or without an IOMMU
 * group, or a device of its group bound to a host driver. VFIO hands over whole groups, so every
 * device in the group must be on vfio-pci (or have no driver); PCI bridges may stay with theirs.
 * A `managed` device may still be on its host driver: libvirt rebinds it at start.
 */
export function deviceProblems(devices: readonly { pci: string; managed?: boolean }[], facts: HostFacts): string[] {
  if (devices.length === 0) return [];
  if (!facts.iommu.enabled) {
    return ["devices: the IOMMU is off (no /sys/kernel/iommu_groups); enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on or amd_iommu=on (docs/gpu.md)"];
  }
  const problems: string[] = [];
  const byAddress = new Map(facts.pciDevices.map((d) => [d.address, d]));
  for (const wanted of devices) {
    const device = byAddress.get(wanted.pci);
    if (!device) {
      problems.push(`devices: no PCI device ${wanted.pci} on this host`);
      continue;
    }
    if (device.iommuGroup === null) {
      problems.push(`devices: ${wanted.pci} is in no IOMMU group`);
      continue;
    }
    const group = facts.pciDevices.filter((d) => d.iommuGroup === device.iommuGroup);
    for (const member of group) {
      if (member.class.startsWith("0604")) continue;
      if (member.driver === null || member.driver === "vfio-pci") continue;
      if (wanted.managed && member.address === wanted.pci) continue;
      const which = member.address === wanted.pci ? wanted.pci : `${member.address} (in IOMMU group ${device.iommuGroup} with ${wanted.pci})`;
      problems.push(`devices: ${which} is bound to ${member.driver}, not vfio-pci`);
    }
  }
  return problems;
}
