/**
 * A runner VM's shape on this host: which pinned cores it takes (NUMA-aware) and the shape part
 * of its domain spec. Pure; the cores a VM holds are kept in its record, so a restarted
 * controller knows which are taken.
 */
import type { ControllerConfig, PoolConfig } from "../config/controller-config.ts";
import type { HostFacts, NumaNode } from "../ports/host-facts.ts";
import type { VmShapeSpec } from "../ports/hypervisor.ts";

export interface Placement {
  /** Host cores, one per vCPU, held by this VM alone. */
  cores: number[];
  /** The NUMA node all of them are on, when the host has several. */
  numaNode?: number;
}

const kernelArch = { x64: "x86_64", arm64: "aarch64" } as const;

/** The guest arch of a pool as the kernel names it (`x86_64`, `aarch64`). */
export function guestArch(pool: Pick<PoolConfig, "arch">): "x86_64" | "aarch64" {
  return kernelArch[pool.arch ?? "x64"];
}

/** Whether the pool's guests run emulated (TCG) on this host: their arch is not the host's. */
export function isEmulated(pool: Pick<PoolConfig, "arch">, hostArch: string): boolean {
  return guestArch(pool) !== hostArch;
}

/** Cores held by the VMs these records describe (torn-down VMs hold theirs until their record goes). */
export function takenCores(records: readonly { placement?: Placement }[]): Set<number> {
  return new Set(records.flatMap((r) => r.placement?.cores ?? []));
}

/**
 * Free cores of a pinned pool for one more VM: within one NUMA node when any node has enough
 * (lowest node first), else across nodes; undefined when too few are free.
 */
export function placeVm(pool: Pick<PoolConfig, "vcpus" | "cpuPinning">, taken: ReadonlySet<number>, nodes: readonly NumaNode[]): Placement | undefined {
  if (!pool.cpuPinning) return undefined;
  const free = [...new Set(pool.cpuPinning.cores)].filter((core) => !taken.has(core)).sort((a, b) => a - b);
  if (nodes.length > 1) {
    for (const node of [...nodes].sort((a, b) => a.id - b.id)) {
      const local = free.filter((core) => node.cpus.includes(core));
      if (local.length >= pool.vcpus) return { cores: local.slice(0, pool.vcpus), numaNode: node.id };
    }
  }
  return free.length >= pool.vcpus ? { cores: free.slice(0, pool.vcpus) } : undefined;
}

/** The shape part of a VM's domain spec; undefined for a plain pool (the XML stays as it was). */
export function shapeSpecFor(config: ControllerConfig, pool: PoolConfig, facts: HostFacts | undefined, placement: Placement | undefined): VmShapeSpec | undefined {
  const shape: VmShapeSpec = {};
  if (pool.arch !== undefined) shape.arch = guestArch(pool);
  if (facts && isEmulated(pool, facts.arch)) shape.emulated = true;
  if (placement) {
    shape.pinnedCores = placement.cores;
    if (placement.numaNode !== undefined) shape.numaNode = placement.numaNode;
  } else {
    // Unpinned VMs float over the cores no pool pins.
    const pinned = new Set(config.pools.flatMap((p) => p.cpuPinning?.cores ?? []));
    if (pinned.size > 0 && facts) shape.cpuset = facts.cpu.online.filter((core) => !pinned.has(core));
  }
  if (pool.memoryLimitMiB !== undefined) shape.memoryLimitMiB = pool.memoryLimitMiB;
  if (pool.hugepages) shape.hugepages = true;
  if (pool.devices) shape.hostdevs = pool.devices.map((d) => ({ pci: d.pci, managed: d.managed ?? false }));
  return Object.keys(shape).length === 0 ? undefined : shape;
}
