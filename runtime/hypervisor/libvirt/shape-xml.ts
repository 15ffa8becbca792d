/**
 * The parts of a runner VM's domain XML that its shape decides (`VmShapeSpec`): guest arch and
 * whether it is emulated, CPU pinning and NUMA placement, the memory limit, hugepages and PCI
 * passthrough. Pure; each function renders the lines for one place in `domain-xml.ts`.
 */
import type { DomainSpec, VmShapeSpec } from "../../ports/hypervisor.ts";
import { pciAddressPattern } from "../../ports/host-facts.ts";
import { InvalidDomainSpecError } from "../spec-validation.ts";
import { escapeXml as x } from "./xml-text.ts";

export function validateShape(spec: Pick<DomainSpec, "vcpus" | "memoryMiB" | "shape">): void {
  const shape = spec.shape ?? {};
  if (shape.arch !== undefined && shape.arch !== "x86_64" && shape.arch !== "aarch64") {
    throw new InvalidDomainSpecError("shape.arch", "must be 'x86_64' or 'aarch64'");
  }
  if (shape.pinnedCores !== undefined) {
    cores(shape.pinnedCores, "shape.pinnedCores");
    if (shape.pinnedCores.length !== spec.vcpus) throw new InvalidDomainSpecError("shape.pinnedCores", `must name one core per vCPU (${spec.vcpus})`);
    if (new Set(shape.pinnedCores).size !== shape.pinnedCores.length) throw new InvalidDomainSpecError("shape.pinnedCores", "must not repeat a core");
  }
  if (shape.cpuset !== undefined) {
    cores(shape.cpuset, "shape.cpuset");
    if (shape.cpuset.length === 0) throw new InvalidDomainSpecError("shape.cpuset", "must not be empty");
  }
  if (shape.numaNode !== undefined && !(Number.isInteger(shape.numaNode) && shape.numaNode >= 0)) {
    throw new InvalidDomainSpecError("shape.numaNode", "must be an integer >= 0");
  }
  if (shape.memoryLimitMiB !== undefined && !(Number.isInteger(shape.memoryLimitMiB) && shape.memoryLimitMiB >= spec.memoryMiB)) {
    throw new InvalidDomainSpecError("shape.memoryLimitMiB", `must be an integer >= memoryMiB (${spec.memoryMiB})`);
  }
  (shape.hostdevs ?? []).forEach((device, i) => {
    if (!pciAddressPattern.test(device.pci)) throw new InvalidDomainSpecError(`shape.hostdevs[${i}].pci`, "must be a PCI address like 0000:01:00.0");
  });
}

function cores(list: readonly number[], field: string): void {
  if (!Array.isArray(list) || !list.every((c) => Number.isInteger(c) && c >= 0)) throw new InvalidDomainSpecError(field, "must be host core numbers (integers >= 0)");
}

/** TCG for an emulated guest, whatever the adapter would pick for a native one. */
export function domainTypeOf(shape: VmShapeSpec | undefined, domainType: "qemu" | "kvm"): "qemu" | "kvm" {
  return shape?.emulated ? "qemu" : domainType;
}

export function renderVcpu(spec: Pick<DomainSpec, "vcpus" | "shape">): string {
  const cpuset = spec.shape?.cpuset;
  return `  <vcpu placement='static'${cpuset ? ` cpuset='${formatCores(cpuset)}'` : ""}>${spec.vcpus}</vcpu>`;
}

/** `<cputune>`, `<numatune>`, `<memtune>` and `<memoryBacking>`, after `<vcpu>`. */
export function renderTuning(shape: VmShapeSpec | undefined): string[] {
  if (!shape) return [];
  const lines: string[] = [];
  if (shape.pinnedCores) {
    lines.push(`  <cputune>`);
    shape.pinnedCores.forEach((core, vcpu) => lines.push(`    <vcpupin vcpu='${vcpu}' cpuset='${core}'/>`));
    // QEMU's own threads (I/O, the emulator loop) stay on the VM's cores, off everyone else's.
    lines.push(`    <emulatorpin cpuset='${formatCores(shape.pinnedCores)}'/>`);
    lines.push(`  </cputune>`);
  }
  if (shape.numaNode !== undefined) {
    lines.push(`  <numatune>`, `    <memory mode='strict' nodeset='${shape.numaNode}'/>`, `  </numatune>`);
  }
  if (shape.memoryLimitMiB !== undefined) {
    lines.push(`  <memtune>`, `    <hard_limit unit='MiB'>${shape.memoryLimitMiB}</hard_limit>`, `  </memtune>`);
  }
  if (shape.hugepages) lines.push(`  <memoryBacking>`, `    <hugepages/>`, `  </memoryBacking>`);
  return lines;
}

/** QEMU's VM generation id device is ACPI-based, x86 only: libvirt refuses `<genid/>` for aarch64. */
export function hasGenId(shape: VmShapeSpec | undefined): boolean {
  return shape?.arch !== "aarch64";
}

/** `<os><type>`: aarch64 guests use QEMU's `virt` machine. */
export function renderOsType(shape: VmShapeSpec | undefined, machine: string): string {
  const arch = shape?.arch ?? "x86_64";
  return `    <type arch='${arch}' machine='${x(arch === "aarch64" ? "virt" : machine)}'>hvm</type>`;
}

/**
 * `<features>`: x86 guests find fw_cfg through ACPI and power off with it. aarch64 guests booted
 * without UEFI use the device tree QEMU generates (fw_cfg is in it, poweroff goes through PSCI);
 * libvirt refuses ACPI there without UEFI.
 */
export function renderFeatures(shape: VmShapeSpec | undefined): string {
  return shape?.arch === "aarch64" ? `  <features><gic version='3'/></features>` : `  <features><acpi/></features>`;
}

/**
 * `<cpu>`: with KVM the host's own CPU. Under TCG: every feature QEMU can emulate for x86; for
 * aarch64 a Cortex-A57, whose plain ARMv8.0 is much cheaper to emulate than `max` (pointer
 * authentication and SVE cost a lot under TCG).
 */
export function renderCpu(shape: VmShapeSpec | undefined, domainType: "qemu" | "kvm"): string {
  if (domainType === "kvm") return `  <cpu mode='host-passthrough' check='none'/>`;
  if (shape?.arch === "aarch64") return `  <cpu mode='custom' match='exact' check='none'><model fallback='forbid'>cortex-a57</model></cpu>`;
  return `  <cpu mode='maximum' check='none'/>`;
}

/** `<hostdev>` per passed-through PCI device. */
export function renderHostdevs(shape: VmShapeSpec | undefined): string[] {
  return (shape?.hostdevs ?? []).flatMap((device) => {
    const [domain, bus, slotFunction] = device.pci.split(":") as [string, string, string];
    const [slot, fn] = slotFunction.split(".") as [string, string];
    return [
      `    <hostdev mode='subsystem' type='pci' managed='${device.managed ? "yes" : "no"}'>`,
      `      <source><address domain='0x${domain}' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'/></source>`,
      `    </hostdev>`,
    ];
  });
}

/** `0-2,5` from `[0, 1, 2, 5]`: libvirt's cpuset syntax. */
export function formatCores(list: readonly number[]): string {
  const sorted = [...new Set(list)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
