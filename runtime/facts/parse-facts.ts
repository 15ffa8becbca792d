/** Pure parsers for the /proc and sysfs files the host facts come from. */
import type { PciDevice } from "../ports/host-facts.ts";

/** A kernel CPU list (`0-3,8,10-11`) as the numbers it names; empty text is an empty list. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(",")) {
    if (part === "") continue;
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) throw new Error(`not a CPU list: ${JSON.stringify(text.trim())}`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    for (let cpu = from; cpu <= to; cpu++) out.push(cpu);
  }
  return out;
}

export interface CpuInfo {
  model: string;
  flags: string[];
  processors: number;
}

/**
 * /proc/cpuinfo: x86 names the model and `flags`; arm64 has no model name, only the implementer
 * and part numbers, and calls its flags `Features`.
 */
export function parseCpuInfo(text: string): CpuInfo {
  const fields = new Map<string, string>();
  let processors = 0;
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === "processor") processors++;
    if (!fields.has(key)) fields.set(key, value);
  }
  const flags = (fields.get("flags") ?? fields.get("Features") ?? "").split(/\s+/).filter((f) => f !== "");
  const arm = fields.has("CPU implementer") ? `arm implementer ${fields.get("CPU implementer")} part ${fields.get("CPU part") ?? "?"}` : undefined;
  return { model: fields.get("model name") ?? fields.get("Model") ?? arm ?? "unknown", flags: [...new Set(flags)].sort(), processors };
}

/** /proc/meminfo and a NUMA node's meminfo (`Node 0 MemTotal: … kB`), values in kB by key. */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^(?:Node \d+ )?([A-Za-z_()]+):\s+(\d+)/.exec(line.trim());
    if (match) out.set(match[1]!, Number(match[2]));
  }
  return out;
}

const vendors: Record<string, string> = { "10de": "nvidia", "1002": "amd", "8086": "intel", "1a03": "aspeed", "1af4": "virtio", "1234": "qemu" };

/** A vendor name for a PCI vendor id (`0x10de` or `10de`), or the id itself when unknown. */
export function pciVendorName(vendorId: string): string {
  const id = vendorId.replace(/^0x/, "").toLowerCase();
  return vendors[id] ?? id;
}

/** Display controllers (class 0x03xxxx): VGA, 3D and other display devices, i.e. GPUs. */
export function isGpu(device: Pick<PciDevice, "class">): boolean {
  return device.class.startsWith("03");
}

/** sysfs hex attributes (`0x030000\n`) without the prefix and newline. */
export function hexAttribute(text: string): string {
  return text.trim().replace(/^0x/, "").toLowerCase();
}
