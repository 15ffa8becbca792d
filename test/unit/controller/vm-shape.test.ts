import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parseControllerConfig, type PoolConfig } from "../../../runtime/config/controller-config.ts";
import { add, fits, usage } from "../../../runtime/controller/host-budget.ts";
import { admitPools, deviceProblems } from "../../../runtime/controller/pool-admission.ts";
import { placeVm, shapeSpecFor, takenCores } from "../../../runtime/controller/vm-shape.ts";
import { sysfsFacts } from "../../../runtime/facts/sysfs-facts.ts";
import type { HostFacts } from "../../../runtime/ports/host-facts.ts";
import { hostFixture, type FixtureHost } from "../../support/host-fixture.ts";

const config = parseControllerConfig({
  host: { name: "h1", vcpus: 8, memoryMiB: 16384, hugepagesMiB: 2048 },
  github: { scope: { kind: "org", org: "acme" }, repositories: ["acme/app"], runnerGroupId: 2, auth: { kind: "token", token: "x".repeat(40) } },
  pools: [
    { name: "plain", labels: ["self-hosted"], min: 0, max: 8, vcpus: 1, memoryMiB: 1024 },
    { name: "pinned", labels: ["self-hosted", "pinned"], min: 0, max: 2, vcpus: 2, memoryMiB: 2048, cpuPinning: { cores: [2, 3, 6, 7] } },
    { name: "huge", labels: ["self-hosted", "huge"], min: 0, max: 4, vcpus: 1, memoryMiB: 1024, hugepages: true, memoryLimitMiB: 1536 },
    { name: "gpu", labels: ["self-hosted", "gpu"], min: 0, max: 1, vcpus: 2, memoryMiB: 2048, devices: [{ pci: "0000:01:00.0" }, { pci: "0000:01:00.1" }], requires: { gpu: "nvidia" } },
    { name: "arm", labels: ["self-hosted", "arm64"], min: 0, max: 2, vcpus: 1, memoryMiB: 1024, arch: "arm64" },
  ],
  image: { base: "/img/base.qcow2", boot: { kind: "disk" } },
  network: { kind: "libvirt-network", network: "rf" },
});
const pool = (name: string): PoolConfig => config.pools.find((p) => p.name === name)!;

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));
async function facts(host: FixtureHost): Promise<HostFacts> {
  const root = mkdtempSync(join(tmpdir(), "rf-shape-"));
  roots.push(root);
  hostFixture(root, host);
  return sysfsFacts(root).read();
}
const twoNodes = [[0, 1, 2, 3], [4, 5, 6, 7]];

describe("host budget with shapes", () => {
  it.each<[string, string[], string, boolean]>([
    ["a pinned pool while it has free core slots", ["pinned"], "pinned", true],
    ["no third pinned VM: its 4 cores hold two of 2 vCPUs", ["pinned", "pinned"], "pinned", false],
    ["hugepage VMs up to host.hugepagesMiB", ["huge"], "huge", true],
    ["no third hugepage VM (2048 MiB of hugepages, 1024 each)", ["huge", "huge"], "huge", false],
    ["one VM per PCI device set", ["gpu"], "gpu", false],
    ["the device pool when its VM is gone", [], "gpu", true],
  ])("%s", (_, live, candidate, expected) => {
    expect(fits(usage(config.pools, live), pool(candidate), config.host)).toBe(expected);
  });

  it("charges memoryLimitMiB, not memoryMiB, when a pool sets one", () => {
    // 1024 + 1536 > 2500, though 1024 + 1024 would fit.
    expect(fits(usage(config.pools, ["plain"]), pool("huge"), { vcpus: 8, memoryMiB: 2500, hugepagesMiB: 2048 })).toBe(false);
    expect(usage(config.pools, ["huge"])).toMatchObject({ memoryMiB: 1536, hugepagesMiB: 1024, byPool: { huge: 1 } });
  });

  it("never lets add() go past what fits() allowed (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...config.pools.map((p) => p.name)), { maxLength: 30 }), (names) => {
        let used = usage(config.pools, []);
        for (const name of names) if (fits(used, pool(name), config.host)) used = add(used, pool(name));
        return used.vcpus <= config.host.vcpus && used.memoryMiB <= config.host.memoryMiB && (used.hugepagesMiB ?? 0) <= 2048 && (used.byPool?.pinned ?? 0) <= 2 && (used.byPool?.gpu ?? 0) <= 1;
      }),
    );
  });
});

describe("placeVm: pinned cores, NUMA-aware", () => {
  it.each<[string, number[], number[][], ReturnType<typeof placeVm>]>([
    ["first VM on node 0's pinned cores", [], twoNodes, { cores: [2, 3], numaNode: 0 }],
    ["second VM on node 1's", [2, 3], twoNodes, { cores: [6, 7], numaNode: 1 }],
    ["no NUMA node when the host has one", [], [[0, 1, 2, 3, 4, 5, 6, 7]], { cores: [2, 3] }],
    ["across nodes when no node has enough free", [3, 7], twoNodes, { cores: [2, 6] }],
    ["nothing when too few are free", [2, 3, 6], twoNodes, undefined],
  ])("%s", (_, taken, numa, expected) => {
    const nodes = numa.map((cpus, id) => ({ id, cpus, memoryMiB: 1024 }));
    expect(placeVm(pool("pinned"), new Set(taken), nodes)).toEqual(expected);
  });

  it("counts the cores every record holds", () => {
    expect([...takenCores([{ placement: { cores: [2, 3] } }, {}, { placement: { cores: [6] } }])]).toEqual([2, 3, 6]);
  });

  it("never gives a core to two VMs (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), (vms) => {
        const taken = new Set<number>();
        for (let i = 0; i < vms; i++) {
          const placement = placeVm(pool("pinned"), taken, twoNodes.map((cpus, id) => ({ id, cpus, memoryMiB: 1 })));
          if (!placement) return i >= 2;
          if (placement.cores.some((c) => taken.has(c))) return false;
          placement.cores.forEach((c) => taken.add(c));
        }
        return true;
      }),
    );
  });
});

describe("shapeSpecFor", () => {
  it("pins a placed VM and its memory to the node; unpinned VMs stay off pinned cores", async () => {
    const host = await facts({ numa: twoNodes });
    expect(shapeSpecFor(config, pool("pinned"), host, { cores: [6, 7], numaNode: 1 })).toEqual({ pinnedCores: [6, 7], numaNode: 1 });
    expect(shapeSpecFor(config, pool("plain"), host, undefined)).toEqual({ cpuset: [0, 1, 4, 5] });
  });

  it("marks an arm64 pool emulated on an x86_64 host, and passes limits, hugepages and devices", async () => {
    const host = await facts({});
    expect(shapeSpecFor(config, pool("arm"), host, undefined)).toMatchObject({ arch: "aarch64", emulated: true });
    expect(shapeSpecFor(config, pool("arm"), { ...host, arch: "aarch64" }, undefined)).not.toHaveProperty("emulated");
    expect(shapeSpecFor(config, pool("huge"), host, undefined)).toMatchObject({ memoryLimitMiB: 1536, hugepages: true });
    expect(shapeSpecFor(config, pool("gpu"), host, undefined)?.hostdevs).toEqual([
      { pci: "0000:01:00.0", managed: false },
      { pci: "0000:01:00.1", managed: false },
    ]);
  });
});

describe("admitPools against the host's facts", () => {
  it("admits every pool on a host that has what they need", async () => {
    const host = await facts({ numa: twoNodes, gpu: { driver: "vfio-pci" }, hugepages: 1024 });
    expect(admitPools(config, host).refused).toEqual([]);
  });

  it.each<[string, FixtureHost, Record<string, unknown>, string, string]>([
    ["no GPU", { hugepages: 1024 }, {}, "gpu", "requires.gpu: no nvidia GPU on this host (it has none)"],
    ["the IOMMU off", { gpu: { driver: "vfio-pci" }, iommu: false, hugepages: 1024 }, {}, "gpu", "devices: the IOMMU is off"],
    ["the GPU on the nvidia driver", { gpu: { driver: "nvidia" }, hugepages: 1024 }, {}, "gpu", "devices: 0000:01:00.0 is bound to nvidia, not vfio-pci"],
    ["its audio function on snd_hda_intel", { gpu: { driver: "vfio-pci", audioDriver: "snd_hda_intel" }, hugepages: 1024 }, {}, "gpu", "0000:01:00.1 is bound to snd_hda_intel, not vfio-pci"],
    ["too few hugepages", { gpu: { driver: "vfio-pci" }, hugepages: 100 }, {}, "huge", "host.hugepagesMiB is 2048 but the host's hugepage pool holds 200 MiB"],
    ["pinned cores the host lacks", { numa: [[0, 1, 2, 3]], gpu: { driver: "vfio-pci" }, hugepages: 1024 }, {}, "pinned", "cpuPinning.cores 6, 7 are not online CPUs of this host"],
    ["a missing CPU flag", { gpu: { driver: "vfio-pci" }, hugepages: 1024 }, { requires: { cpuFlags: ["avx512f", "avx2"] } }, "plain", "requires.cpuFlags: the host's CPU (AMD EPYC 7763 64-Core Processor) lacks avx512f"],
  ])("refuses only the pool that needs what is missing: %s", async (_, host, plainOver, refusedPool, problem) => {
    const withPlain = { ...config, pools: config.pools.map((p) => (p.name === "plain" ? { ...p, ...plainOver } : p)) };
    const { admitted, refused } = admitPools(withPlain, await facts(host));
    expect(refused.map((r) => r.pool)).toEqual([refusedPool]);
    expect(refused[0]!.problems.join("\n")).toContain(problem);
    expect(admitted.map((p) => p.name)).toEqual(config.pools.map((p) => p.name).filter((n) => n !== refusedPool));
  });

  it("refuses unpinned pools when pinned pools hold every online CPU", async () => {
    const { refused } = admitPools(config, await facts({ numa: [[2, 3, 6, 7]], gpu: { driver: "vfio-pci" }, hugepages: 1024 }));
    expect(refused.map((r) => r.pool)).toEqual(["plain", "huge", "gpu", "arm"]);
    expect(refused[0]!.problems).toEqual(["every online CPU of this host (4) is pinned by other pools: its unpinned VMs would have none to run on"]);
  });

  it.each([
    [[{ pci: "0000:02:00.0" }], "devices: no PCI device 0000:02:00.0 on this host"],
    [[{ pci: "0000:01:00.0", managed: true }], "0000:01:00.1 (in IOMMU group 1 with 0000:01:00.0) is bound to nvidia"],
  ])("device checks: %j", async (devices, problem) => {
    const host = await facts({ gpu: { driver: "nvidia" } });
    expect(deviceProblems(devices, host).join("\n")).toContain(problem);
  });

  it("lets a managed device stay on its host driver when its group is otherwise free", async () => {
    const host = await facts({ gpu: { driver: "nvidia", audioDriver: null } });
    expect(deviceProblems([{ pci: "0000:01:00.0", managed: true }], host)).toEqual([]);
  });
});
