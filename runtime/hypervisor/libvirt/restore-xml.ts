/**
 * The domain XML a restored VM runs with: the XML libvirt saved with the snapshot, retargeted at
 * one new VM. Only what is the VM's own changes (name, UUID, generation id, MAC, disk, console,
 * job channel, network attachment, metadata); every device, address and the machine type stay as
 * saved, because QEMU's migration stream must find exactly the devices it was saved from. Pure.
 */
import type { DomainSpec } from "../../ports/hypervisor.ts";
import { renderLibvirtInterface, renderMetadataElement } from "./domain-xml.ts";
import { jobChannelName } from "./job-channel-xml.ts";
import { escapeXml as x } from "./xml-text.ts";

export class SnapshotShapeError extends Error {
  constructor(detail: string) {
    super(`the snapshot does not fit this VM: ${detail}`);
    this.name = "SnapshotShapeError";
  }
}

export interface RestoreIdentity {
  uuid: string;
  /** Used when the spec names no MAC. */
  mac: string;
}

/** The saved XML with `spec`'s identity and paths. Throws SnapshotShapeError when the shape differs. */
export function retargetSavedXml(saved: string, spec: DomainSpec, identity: RestoreIdentity): string {
  checkShape(saved, spec);
  let xml = replaceOnce(saved, /<name>[^<]*<\/name>/, `<name>${x(spec.name)}</name>`, "name");
  xml = replaceOnce(xml, /<uuid>[^<]*<\/uuid>/, `<uuid>${x(identity.uuid)}</uuid>`, "uuid");
  // An empty <genid/> makes libvirt pick a new VM generation id: the restored kernel sees it
  // change and reseeds its RNG (Linux's vmgenid driver).
  xml = /<genid>[^<]*<\/genid>|<genid\/>/.test(xml)
    ? xml.replace(/<genid>[^<]*<\/genid>|<genid\/>/, "<genid/>")
    : replaceOnce(xml, /(<\/uuid>\n)/, `$1  <genid/>\n`, "uuid");
  xml = replaceOnce(xml, /<(\w+):runner\b[^>]*\/>/, renderMetadataElement(spec.metadata), "metadata");
  xml = replaceOnce(
    xml,
    /(<disk type='file' device='disk'>[\s\S]*?<source file=')[^']*('\/>)/,
    `$1${x(spec.disk)}$2`,
    "disk source",
  );
  // Serial and console share one file.
  xml = replaceEvery(xml, /(<(?:serial|console) type='file'>\s*<source path=')[^']*(')/g, `$1${x(spec.serialLog)}$2`, "serial log");
  xml = replaceOnce(xml, /( *)<interface type='network'>([\s\S]*?)<\/interface>/, (_m, indent: string, body: string) => {
    const address = /\n\s*(<address [^>]*\/>)/.exec(body)?.[1];
    const lines = renderLibvirtInterface(spec.network, spec.mac ?? identity.mac);
    if (address) lines.splice(lines.length - 1, 0, `      ${address}`);
    return lines.join("\n").replace(/^ {4}/, indent);
  }, "interface");
  if (spec.jobChannel !== undefined) {
    const channel = new RegExp(`(<channel type='unix'>\\s*<source mode='bind' path=')[^']*('/>\\s*<target type='virtio' name='${jobChannelName}')`);
    xml = replaceOnce(xml, channel, `$1${x(spec.jobChannel)}$2`, "job channel");
  }
  return xml;
}

/** vCPUs, memory and boot must be what the snapshot was saved with (QEMU would refuse or misbehave). */
function checkShape(saved: string, spec: DomainSpec): void {
  const memoryKiB = Number(/<memory unit='KiB'>(\d+)<\/memory>/.exec(saved)?.[1]);
  if (memoryKiB !== spec.memoryMiB * 1024) throw new SnapshotShapeError(`memory ${memoryKiB / 1024} MiB, the VM wants ${spec.memoryMiB} MiB`);
  const vcpus = Number(/<vcpu\b[^>]*>(\d+)<\/vcpu>/.exec(saved)?.[1]);
  if (vcpus !== spec.vcpus) throw new SnapshotShapeError(`${vcpus} vCPUs, the VM wants ${spec.vcpus}`);
  if (spec.boot.kind === "kernel" && !saved.includes(`<kernel>${x(spec.boot.kernel)}</kernel>`)) {
    throw new SnapshotShapeError(`saved with another kernel than ${spec.boot.kernel}`);
  }
  if (spec.jobChannel !== undefined && !saved.includes(`name='${jobChannelName}'`)) {
    throw new SnapshotShapeError("saved without the job channel");
  }
}

function replaceOnce(xml: string, pattern: RegExp, replacement: string | ((...groups: string[]) => string), what: string): string {
  if (!pattern.test(xml)) throw new SnapshotShapeError(`the saved XML has no ${what}`);
  return typeof replacement === "string" ? xml.replace(pattern, replacement) : xml.replace(pattern, replacement as (m: string, ...g: string[]) => string);
}

function replaceEvery(xml: string, pattern: RegExp, replacement: string, what: string): string {
  if (!new RegExp(pattern.source).test(xml)) throw new SnapshotShapeError(`the saved XML has no ${what}`);
  return xml.replace(pattern, replacement);
}
