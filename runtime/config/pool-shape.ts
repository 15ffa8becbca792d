/**
 * A pool's VM shape and hardware needs beyond vCPUs and memory (which stay in poolSchema): guest
 * arch, disk size, CPU pinning, a memory limit, hugepages, required host facts and PCI devices
 * passed through. Spread into poolSchema; the checks that need the whole config (other pools,
 * the host budget) are `refinePoolShapes`, called from the config's superRefine. Checks against
 * the host's hardware happen at start (`runtime/controller/pool-admission.ts`).
 */
import { z } from "zod";
import { pciAddressPattern } from "../ports/host-facts.ts";

export const guestArches = ["x64", "arm64"] as const;
export type GuestArch = (typeof guestArches)[number];

export const poolShapeFields = {
  /** Guest architecture (default x64). A guest whose arch differs from the host's runs emulated (TCG). */
  arch: z.enum(guestArches).optional(),
  /** Virtual size of each VM's disk (the qcow2 overlay); the guest sees a disk this big. Default: the base image's size. */
  diskGiB: z.number().int().min(1).max(65536).optional(),
  /** Host cores this pool's VMs are pinned to. Each VM holds `vcpus` of them exclusively while it lives. */
  cpuPinning: z.object({ cores: z.array(z.number().int().min(0).max(4095)).min(1) }).strict().optional(),
  /** Hard limit on a VM's memory, QEMU's own included (libvirt `<memtune><hard_limit>`); what the budget charges. */
  memoryLimitMiB: z.number().int().min(128).optional(),
  /** Back guest memory with the host's hugepages (charged to `host.hugepagesMiB`). */
  hugepages: z.boolean().optional(),
  /** Host facts the pool needs; a host without them refuses the pool at start. */
  requires: z
    .object({
      cpuFlags: z.array(z.string().regex(/^[a-z0-9_.]+$/, "CPU flags are lowercase, as in /proc/cpuinfo")).min(1).optional(),
      /** A GPU vendor (`nvidia`, `amd`, `intel`) or `any`. */
      gpu: z.string().regex(/^[a-z0-9]+$/).optional(),
    })
    .strict()
    .optional(),
  /** PCI devices (a GPU and its audio function, say) passed through to each VM with VFIO. */
  devices: z
    .array(
      z
        .object({
          pci: z.string().regex(pciAddressPattern, "expected a PCI address like 0000:01:00.0"),
          /** true: libvirt binds the device to vfio-pci at start; false (default): it must be bound already. */
          managed: z.boolean().optional(),
        })
        .strict(),
    )
    .min(1)
    .max(8)
    .optional(),
};

export const hostShapeFields = {
  /** Hugepage memory runner VMs may use; the host's hugepage pool must hold it (checked at start). */
  hugepagesMiB: z.number().int().min(0).optional(),
  /** Budget for the virtual size of all VM disks together; when set, every pool needs `diskGiB`. */
  diskGiB: z.number().int().min(1).optional(),
};

type ShapedPool = {
  name: string;
  max: number;
  vcpus: number;
  memoryMiB: number;
} & { [K in keyof typeof poolShapeFields]?: z.output<(typeof poolShapeFields)[K]> };

interface ShapedConfig {
  host: { vcpus: number; memoryMiB: number; hugepagesMiB?: number; diskGiB?: number };
  pools: readonly ShapedPool[];
}

/** VMs a pinned pool can run at once: each takes `vcpus` of its cores. */
export function pinnedSlots(pool: Pick<ShapedPool, "vcpus" | "cpuPinning">): number {
  return pool.cpuPinning ? Math.floor(new Set(pool.cpuPinning.cores).size / pool.vcpus) : Infinity;
}

/** Every shape problem of the config as [pool index, field, message] (empty when it can be held). */
export function poolShapeProblems(config: ShapedConfig): { pool: number; field?: string; message: string }[] {
  const problems: { pool: number; field?: string; message: string }[] = [];
  const coreOwner = new Map<number, string>();
  const deviceOwner = new Map<string, string>();
  let pinnedCores = 0;
  config.pools.forEach((pool, i) => {
    const add = (message: string, field?: string) => problems.push({ pool: i, message: `pool "${pool.name}": ${message}`, ...(field ? { field } : {}) });
    if (pool.cpuPinning) {
      const cores = pool.cpuPinning.cores;
      if (new Set(cores).size !== cores.length) add("cpuPinning.cores lists a core twice", "cpuPinning");
      const slots = pinnedSlots(pool);
      if (slots < pool.max) {
        add(`max ${pool.max} VMs of ${pool.vcpus} pinned vCPUs need ${pool.max * pool.vcpus} cores, cpuPinning.cores has ${new Set(cores).size}`, "cpuPinning");
      }
      for (const core of new Set(cores)) {
        const owner = coreOwner.get(core);
        if (owner !== undefined) add(`core ${core} is pinned by pool "${owner}" too (pinned cores are exclusive)`, "cpuPinning");
        coreOwner.set(core, pool.name);
      }
      pinnedCores += new Set(cores).size;
    }
    if (pool.memoryLimitMiB !== undefined) {
      if (pool.memoryLimitMiB < pool.memoryMiB) add(`memoryLimitMiB ${pool.memoryLimitMiB} is below the VM's memory (${pool.memoryMiB} MiB)`, "memoryLimitMiB");
      if (pool.memoryLimitMiB > config.host.memoryMiB) add(`memoryLimitMiB ${pool.memoryLimitMiB} exceeds the host budget (${config.host.memoryMiB} MiB)`, "memoryLimitMiB");
    }
    if (pool.hugepages && pool.memoryMiB > (config.host.hugepagesMiB ?? 0)) {
      add(`hugepages: one VM needs ${pool.memoryMiB} MiB of hugepages, host.hugepagesMiB is ${config.host.hugepagesMiB ?? 0}`, "hugepages");
    }
    if (config.host.diskGiB !== undefined) {
      if (pool.diskGiB === undefined) add("diskGiB is required when host.diskGiB budgets disks", "diskGiB");
      else if (pool.diskGiB > config.host.diskGiB) add(`diskGiB ${pool.diskGiB} exceeds the host's disk budget (${config.host.diskGiB} GiB)`, "diskGiB");
    }
    if (pool.devices) {
      if (pool.max !== 1) add(`a pool with PCI devices runs one VM at a time (a device serves one job at a time): max must be 1, not ${pool.max}`, "max");
      for (const device of pool.devices) {
        const owner = deviceOwner.get(device.pci);
        if (owner !== undefined) add(`PCI device ${device.pci} is passed through by pool "${owner}" too`, "devices");
        deviceOwner.set(device.pci, pool.name);
      }
    }
  });
  if (pinnedCores > config.host.vcpus) {
    problems.push({ pool: -1, message: `pinned pools hold ${pinnedCores} cores exclusively, more than the host's vCPU budget (${config.host.vcpus})` });
  }
  return problems;
}

/** For the config's superRefine: each shape problem as an issue at its pool. */
export function refinePoolShapes(config: ShapedConfig, ctx: z.RefinementCtx): void {
  for (const problem of poolShapeProblems(config)) {
    const path = problem.pool < 0 ? ["pools"] : ["pools", problem.pool, ...(problem.field ? [problem.field] : [])];
    ctx.addIssue({ code: "custom", path, message: problem.message });
  }
}
