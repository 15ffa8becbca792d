/**
 * Host facts from /proc and sysfs under `root` ("/" on a host; a fixture tree in tests). Each
 * file that is missing leaves its fact at an empty value rather than failing: a host without
 * NUMA or an IOMMU simply has none.
 */
import { readdir, readFile, readlink } from "node:fs/promises";
import { basename, join } from "node:path";
import type { HostFacts, HostFactsSource, NumaNode, PciDevice } from "../ports/host-facts.ts";
import { hexAttribute, parseCpuInfo, parseCpuList, parseMeminfo } from "./parse-facts.ts";

const nodeArch: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };

export function sysfsFacts(root = "/"): HostFactsSource {
  const at = (path: string) => join(root, path);
  const text = (path: string) => readFile(at(path), "utf8").catch(() => undefined);
  const list = (path: string) => readdir(at(path)).catch((): string[] => []);
  const link = (path: string) => readlink(at(path)).then(basename, () => null);

  async function numaNodes(): Promise<NumaNode[]> {
    const names = (await list("sys/devices/system/node")).filter((n) => /^node\d+$/.test(n));
    const nodes = await Promise.all(
      names.map(async (name) => ({
        id: Number(name.slice(4)),
        cpus: parseCpuList((await text(`sys/devices/system/node/${name}/cpulist`)) ?? ""),
        memoryMiB: Math.floor((parseMeminfo((await text(`sys/devices/system/node/${name}/meminfo`)) ?? "").get("MemTotal") ?? 0) / 1024),
      })),
    );
    return nodes.sort((a, b) => a.id - b.id);
  }

  async function pciDevices(): Promise<PciDevice[]> {
    const addresses = (await list("sys/bus/pci/devices")).sort();
    return Promise.all(
      addresses.map(async (address) => {
        const dir = `sys/bus/pci/devices/${address}`;
        const group = await link(`${dir}/iommu_group`);
        return {
          address,
          class: hexAttribute((await text(`${dir}/class`)) ?? ""),
          vendorId: hexAttribute((await text(`${dir}/vendor`)) ?? ""),
          deviceId: hexAttribute((await text(`${dir}/device`)) ?? ""),
          driver: await link(`${dir}/driver`),
          iommuGroup: group === null ? null : Number(group),
        };
      }),
    );
  }

  return {
    async read(): Promise<HostFacts> {
      const cpuinfo = parseCpuInfo((await text("proc/cpuinfo")) ?? "");
      const meminfo = parseMeminfo((await text("proc/meminfo")) ?? "");
      const onlineText = await text("sys/devices/system/cpu/online");
      const online = onlineText === undefined ? Array.from({ length: cpuinfo.processors }, (_, i) => i) : parseCpuList(onlineText);
      const groups = (await list("sys/kernel/iommu_groups")).filter((g) => /^\d+$/.test(g));
      return {
        arch: (await text("proc/sys/kernel/arch"))?.trim() || (nodeArch[process.arch] ?? process.arch),
        cpu: { model: cpuinfo.model, flags: cpuinfo.flags, cores: online.length, online },
        memoryMiB: Math.floor((meminfo.get("MemTotal") ?? 0) / 1024),
        hugepages: { sizeKiB: meminfo.get("Hugepagesize") ?? 0, total: meminfo.get("HugePages_Total") ?? 0, free: meminfo.get("HugePages_Free") ?? 0 },
        numaNodes: await numaNodes(),
        iommu: { enabled: groups.length > 0, groups: groups.length },
        pciDevices: await pciDevices(),
      };
    },
  };
}
