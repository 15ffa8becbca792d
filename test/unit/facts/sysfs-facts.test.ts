import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isGpu, parseCpuInfo, parseCpuList, pciVendorName } from "../../../runtime/facts/parse-facts.ts";
import { sysfsFacts } from "../../../runtime/facts/sysfs-facts.ts";
import { hostFixture, type FixtureHost } from "../../support/host-fixture.ts";

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));
function tree(host: FixtureHost): string {
  const root = mkdtempSync(join(tmpdir(), "rf-facts-"));
  roots.push(root);
  hostFixture(root, host);
  return root;
}

describe("parsers", () => {
  it.each([
    ["0", [0]],
    ["0-3", [0, 1, 2, 3]],
    ["0-1,8,10-11\n", [0, 1, 8, 10, 11]],
    ["", []],
  ])("CPU list %j", (text, cpus) => expect(parseCpuList(text)).toEqual(cpus));

  it("refuses text that is not a CPU list", () => expect(() => parseCpuList("0-a")).toThrow("not a CPU list"));

  it.each([
    ["x86", "processor\t: 0\nmodel name\t: AMD EPYC 7763\nflags\t\t: fpu sse avx2 avx512f\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7763\nflags\t\t: fpu sse avx2 avx512f\n", "AMD EPYC 7763", 2, "avx512f"],
    ["arm64", "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd aes sha2 crc32\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n", "arm implementer 0x41 part 0xd0c", 1, "asimd"],
  ])("cpuinfo of %s", (_, text, model, processors, flag) => {
    const info = parseCpuInfo(text);
    expect(info).toMatchObject({ model, processors });
    expect(info.flags).toContain(flag);
  });

  it.each([
    ["0x10de", "nvidia"],
    ["1002", "amd"],
    ["0x8086", "intel"],
    ["0xabcd", "abcd"],
  ])("vendor %s is %s", (id, name) => expect(pciVendorName(id)).toBe(name));

  it.each([
    ["030000", true],
    ["030200", true],
    ["020000", false],
  ])("class %s is a GPU: %s", (cls, gpu) => expect(isGpu({ class: cls })).toBe(gpu));
});

describe("sysfsFacts on a fixture tree", () => {
  it("reads a two-node host with an NVIDIA GPU bound to vfio-pci", async () => {
    const facts = await sysfsFacts(tree({ numa: [[0, 1, 2, 3], [4, 5, 6, 7]], gpu: { driver: "vfio-pci" }, hugepages: 512 })).read();
    expect(facts.arch).toBe("x86_64");
    expect(facts.cpu).toMatchObject({ model: "AMD EPYC 7763 64-Core Processor", cores: 8, online: [0, 1, 2, 3, 4, 5, 6, 7] });
    expect(facts.cpu.flags).toContain("avx2");
    expect(facts.memoryMiB).toBe(65536);
    expect(facts.hugepages).toEqual({ sizeKiB: 2048, total: 512, free: 512 });
    expect(facts.numaNodes).toEqual([
      { id: 0, cpus: [0, 1, 2, 3], memoryMiB: 32768 },
      { id: 1, cpus: [4, 5, 6, 7], memoryMiB: 32768 },
    ]);
    expect(facts.iommu).toEqual({ enabled: true, groups: 2 });
    expect(facts.pciDevices.find((d) => d.address === "0000:01:00.0")).toEqual({
      address: "0000:01:00.0", class: "030000", vendorId: "10de", deviceId: "2204", driver: "vfio-pci", iommuGroup: 1,
    });
  });

  it("reads a host without NUMA, IOMMU or GPU as having none", async () => {
    const facts = await sysfsFacts(tree({ numa: [], iommu: false })).read();
    expect(facts.numaNodes).toEqual([]);
    expect(facts.iommu).toEqual({ enabled: false, groups: 0 });
    expect(facts.pciDevices.filter(isGpu)).toEqual([]);
    expect(facts.pciDevices.every((d) => d.iommuGroup === null)).toBe(true);
  });
});

describe("sysfsFacts on this machine's real /", () => {
  it("finds what the kernel reports", async () => {
    const facts = await sysfsFacts("/").read();
    expect(facts.arch).toBe(execFileSync("uname", ["-m"], { encoding: "utf8" }).trim());
    expect(facts.cpu.cores).toBe(parseCpuList(readFileSync("/sys/devices/system/cpu/online", "utf8")).length);
    expect(facts.cpu.flags.length).toBeGreaterThan(0);
    const memTotalKiB = Number(/MemTotal:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))![1]);
    expect(facts.memoryMiB).toBe(Math.floor(memTotalKiB / 1024));
    expect(facts.pciDevices.length).toBeGreaterThan(0);
  });
});
