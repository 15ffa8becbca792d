/**
 * A fake host's /proc and /sys, laid out as the kernel does, for the facts reader and the PCI
 * passthrough checks: CPUs, memory, NUMA nodes, IOMMU groups and PCI devices with drivers.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface FixtureHost {
  /** CPUs per NUMA node; [] for a host without NUMA nodes in sysfs. Default one node of 8. */
  numa?: number[][];
  iommu?: boolean;
  /** An NVIDIA GPU at 0000:01:00.0 with its audio function 0000:01:00.1 (same IOMMU group). */
  gpu?: { driver: string | null; audioDriver?: string | null };
  hugepages?: number;
  cpuFlags?: string[];
}

export function hostFixture(root: string, host: FixtureHost = {}): void {
  const numa = host.numa ?? [[0, 1, 2, 3, 4, 5, 6, 7]];
  const cpus = numa.length > 0 ? numa.flat() : [0, 1, 2, 3];
  const iommu = host.iommu ?? true;
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const link = (path: string, target: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(target, join(root, path));
  };
  const flags = (host.cpuFlags ?? ["fpu", "sse", "sse2", "avx", "avx2"]).join(" ");
  file("proc/cpuinfo", cpus.map((cpu) => `processor\t: ${cpu}\nmodel name\t: AMD EPYC 7763 64-Core Processor\nflags\t\t: ${flags}\n`).join("\n"));
  const pages = host.hugepages ?? 0;
  file("proc/meminfo", `MemTotal:       67108864 kB\nMemFree:        60000000 kB\nHugePages_Total:     ${pages}\nHugePages_Free:      ${pages}\nHugepagesize:       2048 kB\n`);
  file("proc/sys/kernel/arch", "x86_64\n");
  file("sys/devices/system/cpu/online", `${cpus.join(",")}\n`);
  numa.forEach((nodeCpus, id) => {
    file(`sys/devices/system/node/node${id}/cpulist`, `${Math.min(...nodeCpus)}-${Math.max(...nodeCpus)}\n`);
    file(`sys/devices/system/node/node${id}/meminfo`, `Node ${id} MemTotal:       ${67108864 / numa.length} kB\nNode ${id} MemFree:  1000 kB\n`);
  });
  const devices: { address: string; cls: string; vendor: string; device: string; driver: string | null; group: number }[] = [
    { address: "0000:00:00.0", cls: "0x060000", vendor: "0x8086", device: "0x1237", driver: null, group: 0 },
  ];
  if (host.gpu) {
    devices.push({ address: "0000:01:00.0", cls: "0x030000", vendor: "0x10de", device: "0x2204", driver: host.gpu.driver, group: 1 });
    devices.push({ address: "0000:01:00.1", cls: "0x040300", vendor: "0x10de", device: "0x1aef", driver: host.gpu.audioDriver === undefined ? host.gpu.driver : host.gpu.audioDriver, group: 1 });
  }
  for (const d of devices) {
    const dir = `sys/devices/pci0000:00/${d.address}`;
    file(`${dir}/class`, `${d.cls}\n`);
    file(`${dir}/vendor`, `${d.vendor}\n`);
    file(`${dir}/device`, `${d.device}\n`);
    if (d.driver) link(`${dir}/driver`, `../../../bus/pci/drivers/${d.driver}`);
    if (iommu) {
      link(`${dir}/iommu_group`, `../../../kernel/iommu_groups/${d.group}`);
      mkdirSync(join(root, `sys/kernel/iommu_groups/${d.group}/devices`), { recursive: true });
    }
    link(`sys/bus/pci/devices/${d.address}`, `../../../devices/pci0000:00/${d.address}`);
  }
}
