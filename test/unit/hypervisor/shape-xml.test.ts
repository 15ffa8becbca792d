import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderDomainXml } from "../../../runtime/hypervisor/libvirt/domain-xml.ts";
import { formatCores, renderCpu, renderHostdevs, renderTuning, renderVcpu } from "../../../runtime/hypervisor/libvirt/shape-xml.ts";
import { InvalidDomainSpecError } from "../../../runtime/hypervisor/spec-validation.ts";
import type { DomainSpec, VmShapeSpec } from "../../../runtime/ports/hypervisor.ts";

const spec: DomainSpec = {
  name: "rf-h1-big-0a1b2c3d",
  vcpus: 2,
  memoryMiB: 2048,
  disk: "/var/lib/runner-fleet/overlays/rf-h1-big-0a1b2c3d.qcow2",
  boot: { kind: "kernel", kernel: "/images/vmlinux", initrd: "/images/initrd.img", cmdline: "console=ttyS0" },
  fwCfg: [{ name: "opt/runner-fleet/jitconfig", file: "/var/lib/runner-fleet/secrets/x.jit" }],
  network: { kind: "libvirt-network", network: "runner-fleet" },
  serialLog: "/var/lib/runner-fleet/logs/x.log",
  metadata: { pool: "big", createdAt: "2026-01-02T03:04:05.678Z" },
};

describe("shape renderers", () => {
  it.each<[string, VmShapeSpec | undefined, string[]]>([
    ["nothing for a plain pool", undefined, []],
    [
      "pinning: one vcpupin per vCPU, QEMU's threads on the same cores",
      { pinnedCores: [4, 5] },
      ["  <cputune>", "    <vcpupin vcpu='0' cpuset='4'/>", "    <vcpupin vcpu='1' cpuset='5'/>", "    <emulatorpin cpuset='4-5'/>", "  </cputune>"],
    ],
    ["NUMA: memory strictly from the cores' node", { numaNode: 1 }, ["  <numatune>", "    <memory mode='strict' nodeset='1'/>", "  </numatune>"]],
    ["a memory limit", { memoryLimitMiB: 2304 }, ["  <memtune>", "    <hard_limit unit='MiB'>2304</hard_limit>", "  </memtune>"]],
    ["hugepages", { hugepages: true }, ["  <memoryBacking>", "    <hugepages/>", "  </memoryBacking>"]],
  ])("%s", (_, shape, lines) => {
    expect(renderTuning(shape)).toEqual(lines);
  });

  it.each<[VmShapeSpec | undefined, "qemu" | "kvm", string]>([
    [undefined, "qemu", "<cpu mode='maximum' check='none'/>"],
    [undefined, "kvm", "<cpu mode='host-passthrough' check='none'/>"],
    [{ arch: "aarch64" }, "qemu", "<model fallback='forbid'>cortex-a57</model>"],
    [{ arch: "aarch64" }, "kvm", "<cpu mode='host-passthrough' check='none'/>"],
  ])("cpu for %j under %s", (shape, type, expected) => {
    expect(renderCpu(shape, type)).toContain(expected);
  });

  it("keeps unpinned VMs off pinned cores with a vcpu cpuset", () => {
    expect(renderVcpu({ vcpus: 2, shape: { cpuset: [0, 1, 2, 6] } })).toBe("  <vcpu placement='static' cpuset='0-2,6'>2</vcpu>");
    expect(renderVcpu({ vcpus: 2 })).toBe("  <vcpu placement='static'>2</vcpu>");
  });

  it.each([
    [[0], "0"],
    [[3, 1, 2], "1-3"],
    [[0, 2, 4, 5, 6, 9], "0,2,4-6,9"],
  ])("formats cores %j as %s", (cores, text) => {
    expect(formatCores(cores)).toBe(text);
  });

  it("renders a PCI hostdev per device, managed or not", () => {
    expect(renderHostdevs({ hostdevs: [{ pci: "0000:01:00.0", managed: false }, { pci: "0000:0a:1f.7", managed: true }] })).toEqual([
      "    <hostdev mode='subsystem' type='pci' managed='no'>",
      "      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>",
      "    </hostdev>",
      "    <hostdev mode='subsystem' type='pci' managed='yes'>",
      "      <source><address domain='0x0000' bus='0x0a' slot='0x1f' function='0x7'/></source>",
      "    </hostdev>",
    ]);
  });
});

describe("renderDomainXml with a shape", () => {
  it("an emulated aarch64 guest: TCG even when the adapter says kvm, machine virt, no ACPI", () => {
    const xml = renderDomainXml({ ...spec, shape: { arch: "aarch64", emulated: true } }, { domainType: "kvm", machine: "pc" });
    expect(xml).toMatch(/^<domain type='qemu'>/);
    expect(xml).toContain("<type arch='aarch64' machine='virt'>hvm</type>");
    expect(xml).not.toContain("<acpi/>");
    expect(xml).not.toContain("<genid/>");
    expect(xml).toContain("cortex-a57");
  });

  it("a native aarch64 guest on an arm64 host keeps KVM and the host's CPU", () => {
    const xml = renderDomainXml({ ...spec, shape: { arch: "aarch64" } }, { domainType: "kvm" });
    expect(xml).toMatch(/^<domain type='kvm'>/);
    expect(xml).toContain("<cpu mode='host-passthrough' check='none'/>");
  });

  it.each<[string, VmShapeSpec, string]>([
    ["one core per vCPU", { pinnedCores: [1] }, "shape.pinnedCores"],
    ["distinct cores", { pinnedCores: [1, 1] }, "shape.pinnedCores"],
    ["a limit below the memory", { memoryLimitMiB: 1024 }, "shape.memoryLimitMiB"],
    ["a PCI address", { hostdevs: [{ pci: "01:00.0", managed: false }] }, "shape.hostdevs[0].pci"],
    ["a known arch", { arch: "riscv64" as "aarch64" }, "shape.arch"],
  ])("refuses a shape without %s", (_, shape, field) => {
    expect(() => renderDomainXml({ ...spec, shape })).toThrow(InvalidDomainSpecError);
    expect(() => renderDomainXml({ ...spec, shape })).toThrow(field);
  });

  it.each<[string, VmShapeSpec]>([
    ["x86_64, every shape element", { pinnedCores: [2, 3], numaNode: 1, memoryLimitMiB: 2304, hugepages: true, hostdevs: [{ pci: "0000:01:00.0", managed: false }] }],
    ["x86_64 unpinned with a cpuset", { cpuset: [0, 1, 6, 7] }],
    ["aarch64 emulated", { arch: "aarch64", emulated: true, memoryLimitMiB: 4096 }],
  ])("passes libvirt's domain schema (virt-xml-validate): %s", (_, shape) => {
    const dir = mkdtempSync(join(tmpdir(), "rf-shape-xml-"));
    try {
      const file = join(dir, "domain.xml");
      writeFileSync(file, renderDomainXml({ ...spec, shape }));
      const validated = spawnSync("virt-xml-validate", [file, "domain"], { encoding: "utf8" });
      expect(validated.error, "virt-xml-validate needs libvirt-clients and xmllint").toBeUndefined();
      expect(validated.status, validated.stderr + validated.stdout).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
