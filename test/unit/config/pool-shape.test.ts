import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../runtime/config/config-error.ts";
import { parseControllerConfig } from "../../../runtime/config/controller-config.ts";

const base = {
  host: { name: "h1", vcpus: 16, memoryMiB: 32768 },
  github: { scope: { kind: "org", org: "acme" }, repositories: ["acme/app"], runnerGroupId: 2, auth: { kind: "token", token: "x".repeat(40) } },
  image: { base: "/img/base.qcow2", boot: { kind: "disk" } },
  network: { kind: "libvirt-network", network: "rf" },
};
const pool = (over: Record<string, unknown> = {}) => ({ name: "p", labels: ["self-hosted"], min: 0, max: 2, vcpus: 2, memoryMiB: 2048, ...over });
const parse = (pools: unknown[], host: Record<string, unknown> = {}) => parseControllerConfig({ ...base, host: { ...base.host, ...host }, pools });
const problems = (pools: unknown[], host: Record<string, unknown> = {}): string[] => {
  try {
    parse(pools, host);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe("pool shapes in the controller config", () => {
  it("accepts a full shape and keeps every field", () => {
    const config = parse(
      [
        pool({
          arch: "arm64",
          diskGiB: 40,
          cpuPinning: { cores: [2, 3, 4, 5] },
          memoryLimitMiB: 2304,
          hugepages: true,
          requires: { cpuFlags: ["avx512f"], gpu: "nvidia" },
        }),
        pool({ name: "gpu", max: 1, diskGiB: 20, devices: [{ pci: "0000:01:00.0" }, { pci: "0000:01:00.1", managed: true }] }),
      ],
      { hugepagesMiB: 4096, diskGiB: 200 },
    );
    expect(config.pools[0]).toMatchObject({ arch: "arm64", diskGiB: 40, cpuPinning: { cores: [2, 3, 4, 5] }, memoryLimitMiB: 2304, hugepages: true });
    expect(config.pools[1]!.devices).toEqual([{ pci: "0000:01:00.0" }, { pci: "0000:01:00.1", managed: true }]);
    expect(config.host.hugepagesMiB).toBe(4096);
  });

  it("leaves a plain pool as it was (no new keys)", () => {
    expect(Object.keys(parse([pool()]).pools[0]!).sort()).toEqual(["labels", "max", "memoryMiB", "min", "name", "vcpus"]);
  });

  it.each<[string, unknown[], Record<string, unknown>, string]>([
    ["too few pinned cores for max", [pool({ max: 3, cpuPinning: { cores: [0, 1, 2, 3] } })], {}, 'pools[0].cpuPinning: pool "p": max 3 VMs of 2 pinned vCPUs need 6 cores, cpuPinning.cores has 4'],
    ["a core pinned twice", [pool({ max: 1, cpuPinning: { cores: [0, 0, 1] } })], {}, "lists a core twice"],
    ["a core pinned by two pools", [pool({ max: 1, cpuPinning: { cores: [0, 1] } }), pool({ name: "q", max: 1, cpuPinning: { cores: [1, 2] } })], {}, 'pools[1].cpuPinning: pool "q": core 1 is pinned by pool "p" too'],
    ["more pinned cores than the budget", [pool({ max: 1, vcpus: 4, cpuPinning: { cores: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17] } })], {}, "pinned pools hold 18 cores exclusively, more than the host's vCPU budget (16)"],
    ["a limit below the memory", [pool({ memoryLimitMiB: 1024 })], {}, 'pool "p": memoryLimitMiB 1024 is below the VM\'s memory (2048 MiB)'],
    ["a limit above the host", [pool({ memoryLimitMiB: 40000 })], {}, "memoryLimitMiB 40000 exceeds the host budget (32768 MiB)"],
    ["hugepages without a host hugepage budget", [pool({ hugepages: true })], {}, 'pools[0].hugepages: pool "p": hugepages: one VM needs 2048 MiB of hugepages, host.hugepagesMiB is 0'],
    ["a disk budget without pool disks", [pool()], { diskGiB: 100 }, "diskGiB is required when host.diskGiB budgets disks"],
    ["a disk above the disk budget", [pool({ diskGiB: 200 })], { diskGiB: 100 }, "diskGiB 200 exceeds the host's disk budget (100 GiB)"],
    ["a device pool with max 2", [pool({ devices: [{ pci: "0000:01:00.0" }] })], {}, 'pools[0].max: pool "p": a pool with PCI devices runs one VM at a time'],
    ["a device in two pools", [pool({ max: 1, devices: [{ pci: "0000:01:00.0" }] }), pool({ name: "q", max: 1, devices: [{ pci: "0000:01:00.0" }] })], {}, 'PCI device 0000:01:00.0 is passed through by pool "p" too'],
    ["a malformed PCI address", [pool({ max: 1, devices: [{ pci: "01:00.0" }] })], {}, "pools[0].devices[0].pci: expected a PCI address like 0000:01:00.0"],
    ["an unknown arch", [pool({ arch: "riscv64" })], {}, "pools[0].arch"],
    ["upper-case CPU flags", [pool({ requires: { cpuFlags: ["AVX2"] } })], {}, "CPU flags are lowercase"],
  ])("refuses %s, naming the pool and what is short", (_, pools, host, message) => {
    expect(problems(pools, host).join("\n")).toContain(message);
  });
});
