/**
 * The libvirt domain XML of a runner VM, rendered from a DomainSpec, and the controller's
 * metadata read back out of libvirt's XML. Pure: no I/O, every interpolated value escaped.
 */
import type { DomainMetadata, DomainSpec, NetworkAttachment } from "../../ports/hypervisor.ts";
import { validateDomainSpec } from "../spec-validation.ts";
import { renderJobChannel } from "./job-channel-xml.ts";
import { renderExtraDisks, renderFwCfgText } from "./extra-disks-xml.ts";
import { escapeXml, unescapeXml } from "./xml-text.ts";
import { domainTypeOf, hasGenId, renderCpu, renderFeatures, renderHostdevs, renderOsType, renderTuning, renderVcpu, validateShape } from "./shape-xml.ts";

/** Namespace of the controller's bookkeeping element inside `<metadata>`. */
export const metadataNamespace = "https://runner-fleet.dev/xmlns/domain/1";

export interface DomainXmlOptions {
  /**
   * `qemu` runs guests under TCG (the lab: this machine's /dev/kvm is a nested software
   * hypervisor that stock kernels crash on); production hosts with real KVM pick `kvm`.
   */
  domainType?: "qemu" | "kvm";
  /** QEMU machine type. */
  machine?: string;
  /** Keeps the UUID of an existing definition: libvirt refuses to redefine a name with a new one. */
  uuid?: string;
}

/** Bump when a change to the rendered devices would make states saved before unrestorable. */
export const domainXmlVersion = 1;

export const defaultDomainXmlOptions = {
  domainType: "qemu",
  machine: "pc",
} as const satisfies DomainXmlOptions;

const x = escapeXml;

export function renderDomainXml(spec: DomainSpec, options: DomainXmlOptions = {}): string {
  validateDomainSpec(spec);
  validateShape(spec);
  const domainType = domainTypeOf(spec.shape, options.domainType ?? defaultDomainXmlOptions.domainType);
  const machine = options.machine ?? defaultDomainXmlOptions.machine;

  const lines: string[] = [];
  lines.push(`<domain type='${x(domainType)}'>`);
  lines.push(`  <name>${x(spec.name)}</name>`);
  if (options.uuid !== undefined) lines.push(`  <uuid>${x(options.uuid)}</uuid>`);
  // A VM generation id: a restored snapshot gets a new one, and the guest kernel reseeds its RNG.
  if (hasGenId(spec.shape)) lines.push(`  <genid/>`);
  lines.push(`  <metadata>`);
  lines.push(`    ${renderMetadataElement(spec.metadata)}`);
  lines.push(`  </metadata>`);
  lines.push(`  <memory unit='MiB'>${spec.memoryMiB}</memory>`);
  lines.push(renderVcpu(spec), ...renderTuning(spec.shape));

  lines.push(`  <os>`);
  lines.push(renderOsType(spec.shape, machine));
  if (spec.boot.kind === "kernel") {
    lines.push(`    <kernel>${x(spec.boot.kernel)}</kernel>`);
    lines.push(`    <initrd>${x(spec.boot.initrd)}</initrd>`);
    lines.push(`    <cmdline>${x(spec.boot.cmdline)}</cmdline>`);
  } else {
    lines.push(`    <boot dev='hd'/>`);
  }
  lines.push(`  </os>`);

  if (spec.fwCfg.length > 0 || (spec.fwCfgText?.length ?? 0) > 0) {
    // QEMU reads each file once, at start; after that the file can (and should) be deleted.
    lines.push(`  <sysinfo type='fwcfg'>`);
    for (const entry of spec.fwCfg) lines.push(`    <entry name='${x(entry.name)}' file='${x(entry.file)}'/>`);
    lines.push(...renderFwCfgText(spec.fwCfgText ?? []));
    lines.push(`  </sysinfo>`);
  }
  // fw_cfg entries need ACPI; the guest's `poweroff -f` uses it too.
  lines.push(renderFeatures(spec.shape));
  lines.push(renderCpu(spec.shape, domainType));
  lines.push(`  <clock offset='utc'/>`);
  // One job per VM: any way the guest stops ends the domain, so the controller sees it shut off.
  lines.push(`  <on_poweroff>destroy</on_poweroff>`);
  lines.push(`  <on_reboot>destroy</on_reboot>`);
  lines.push(`  <on_crash>destroy</on_crash>`);

  lines.push(`  <devices>`);
  lines.push(`    <disk type='file' device='disk'>`);
  // The overlay is thrown away after the job: flushing it to stable storage is wasted work.
  lines.push(`      <driver name='qemu' type='qcow2' cache='unsafe' discard='unmap'/>`);
  lines.push(`      <source file='${x(spec.disk)}'/>`);
  lines.push(`      <target dev='vda' bus='virtio'/>`);
  lines.push(`    </disk>`);
  lines.push(...renderExtraDisks(spec.extraDisks ?? []));
  lines.push(...renderLibvirtInterface(spec.network, spec.mac));
  lines.push(...renderHostdevs(spec.shape));
  lines.push(`    <serial type='file'>`);
  lines.push(`      <source path='${x(spec.serialLog)}'/>`);
  lines.push(`      <target port='0'/>`);
  lines.push(`    </serial>`);
  lines.push(...renderJobChannel(spec));
  lines.push(`    <controller type='usb' model='none'/>`);
  lines.push(`    <memballoon model='none'/>`);
  lines.push(`    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>`);
  lines.push(`  </devices>`);

  lines.push(`</domain>`);
  return lines.join("\n") + "\n";
}

/** The controller's bookkeeping element (inside `<metadata>`). */
export function renderMetadataElement(metadata: DomainMetadata): string {
  return `<rf:runner xmlns:rf='${metadataNamespace}' pool='${x(metadata.pool)}' created-at='${x(metadata.createdAt)}'/>`;
}

export function renderLibvirtInterface(network: NetworkAttachment, mac?: string): string[] {
  return [
    `    <interface type='network'>`,
    ...(mac !== undefined ? [`      <mac address='${x(mac)}'/>`] : []),
    `      <source network='${x(network.network)}'/>`,
    `      <model type='virtio'/>`,
    ...(network.filter !== undefined ? renderFilterref(network.filter, network.ip) : []),
    `    </interface>`,
  ];
}

/** With the guest's IP given, libvirt instantiates the filter once instead of learning the address first. */
function renderFilterref(filter: string, ip: string | undefined): string[] {
  if (ip === undefined) return [`      <filterref filter='${x(filter)}'/>`];
  return [`      <filterref filter='${x(filter)}'>`, `        <parameter name='IP' value='${x(ip)}'/>`, `      </filterref>`];
}

const startTag = /<([A-Za-z_][\w.-]*):runner\b((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/g;
const attribute = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/**
 * The controller's metadata in a domain's XML as libvirt returns it (`virsh dumpxml`), or
 * undefined when the domain has none (defined by someone else) or it is incomplete.
 */
export function parseDomainMetadata(xml: string): DomainMetadata | undefined {
  for (const match of xml.matchAll(startTag)) {
    const prefix = match[1] as string;
    const attributes = new Map<string, string>();
    for (const a of (match[2] ?? "").matchAll(attribute)) {
      attributes.set(a[1] as string, unescapeXml(a[2] ?? a[3] ?? ""));
    }
    if (attributes.get(`xmlns:${prefix}`) !== metadataNamespace) continue;
    const pool = attributes.get("pool");
    const createdAt = attributes.get("created-at");
    if (pool === undefined || createdAt === undefined) return undefined;
    return { pool, createdAt };
  }
  return undefined;
}
