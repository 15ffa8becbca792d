/**
 * The `<disk>` elements after the root disk, and inline fw_cfg entries (runtime/caches: each
 * cache's read-only generation and the VM's writable copy, and the map the guest mounts them by).
 * Pure, every value escaped; called from domain-xml.ts.
 */
import type { ExtraDisk } from "../../ports/hypervisor.ts";
import { escapeXml as x } from "./xml-text.ts";

/** `vdb`, `vdc`, ...: the root disk is `vda`. virtio-blk names go on to `vdz`, then `vdaa`. */
export function extraDiskTarget(index: number): string {
  const n = index + 1;
  return n < 26 ? `vd${String.fromCharCode(97 + n)}` : `vd${String.fromCharCode(96 + Math.floor(n / 26))}${String.fromCharCode(97 + (n % 26))}`;
}

export function renderExtraDisks(disks: readonly ExtraDisk[]): string[] {
  return disks.flatMap((disk, i) => [
    `    <disk type='file' device='disk'>`,
    // A read-only generation is shared by every VM; the writable copy is flushed when the guest
    // syncs, because the controller may promote it after the VM is gone.
    disk.readOnly ? `      <driver name='qemu' type='qcow2'/>` : `      <driver name='qemu' type='qcow2' cache='writeback' discard='unmap'/>`,
    `      <source file='${x(disk.file)}'/>`,
    `      <target dev='${extraDiskTarget(i)}' bus='virtio'/>`,
    `      <serial>${x(disk.serial)}</serial>`,
    ...(disk.readOnly ? [`      <readonly/>`] : []),
    `    </disk>`,
  ]);
}

export function renderFwCfgText(entries: readonly { name: string; value: string }[]): string[] {
  return entries.map((e) => `    <entry name='${x(e.name)}'>${x(e.value)}</entry>`);
}
