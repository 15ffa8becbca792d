import { describe, expect, it } from "vitest";
import { retargetSavedXml, SnapshotShapeError } from "../../../runtime/hypervisor/libvirt/restore-xml.ts";
import { randomMac } from "../../../runtime/protocol/restore-messages.ts";
import { parseSaveImageHeader, renderSaveImageHeader, SaveImageError } from "../../../runtime/hypervisor/libvirt/save-image.ts";
import { parseDomainMetadata } from "../../../runtime/hypervisor/libvirt/domain-xml.ts";
import type { DomainSpec } from "../../../runtime/ports/hypervisor.ts";

/** What libvirt 9.0 stored in a save image's header for a template VM (trimmed to what matters). */
const saved = `<domain type='qemu'>
  <name>rf-snap-0123</name>
  <uuid>a2377701-5d0d-49a2-b997-53386037a928</uuid>
  <genid>1101ba1c-6309-488f-bb60-e4c90f03f394</genid>
  <metadata>
    <rf:runner xmlns:rf="https://runner-fleet.dev/xmlns/domain/1" pool="snapshot" created-at="2026-01-01T00:00:00.000Z"/>
  </metadata>
  <memory unit='KiB'>524288</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
    <kernel>/img/vmlinux-1</kernel>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='unsafe' discard='unmap'/>
      <source file='/state/snapshots/k/disk.qcow2'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:aa:00:01'/>
      <source network='rf-old'/>
      <model type='virtio'/>
      <filterref filter='rf-old-guest'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </interface>
    <serial type='file'>
      <source path='/state/snapshots/k/console.log'/>
      <target type='isa-serial' port='0'/>
    </serial>
    <console type='file'>
      <source path='/state/snapshots/k/console.log'/>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <source mode='bind' path='/state/channels/rf-snap-0123.sock'/>
      <target type='virtio' name='org.runnerfleet.job.0'/>
      <address type='virtio-serial' controller='0' bus='0' port='1'/>
    </channel>
  </devices>
</domain>
`;

const spec: DomainSpec = {
  name: "rf-h-small-0badcafe",
  vcpus: 1,
  memoryMiB: 512,
  disk: "/state/overlays/rf-h-small-0badcafe.qcow2",
  boot: { kind: "kernel", kernel: "/img/vmlinux-1", initrd: "/img/initrd-1", cmdline: "quiet" },
  fwCfg: [],
  network: { kind: "libvirt-network", network: "rf-new", filter: "rf-new-guest" },
  serialLog: "/state/logs/rf-h-small-0badcafe.log",
  metadata: { pool: "small", createdAt: "2026-11-25T12:00:00.000Z" },
  jobChannel: "/state/channels/rf-h-small-0badcafe.sock",
};
const identity = { uuid: "11111111-2222-4333-8444-555555555555", mac: "52:54:00:12:34:56" };

describe("retargetSavedXml", () => {
  const xml = retargetSavedXml(saved, spec, identity);

  it.each([
    ["name", `<name>${spec.name}</name>`, "<name>rf-snap-0123</name>"],
    ["uuid", `<uuid>${identity.uuid}</uuid>`, "a2377701-5d0d"],
    ["a fresh generation id", "<genid/>", "1101ba1c"],
    ["MAC", "<mac address='52:54:00:12:34:56'/>", "52:54:00:aa:00:01"],
    ["disk", `<source file='${spec.disk}'/>`, "/state/snapshots/k/disk.qcow2"],
    ["console", `<source path='${spec.serialLog}'/>`, "console.log"],
    ["job channel", `<source mode='bind' path='${spec.jobChannel!}'/>`, "rf-snap-0123.sock"],
    ["network", "<source network='rf-new'/>", "rf-old"],
    ["filter", "<filterref filter='rf-new-guest'/>", "rf-old-guest"],
  ])("puts in the VM's own %s and leaves nothing of the template's", (_what, present, gone) => {
    expect(xml).toContain(present);
    expect(xml).not.toContain(gone);
  });

  it("keeps every device address and the machine type (QEMU's stream needs the same devices)", () => {
    for (const kept of ["slot='0x04'", "slot='0x02'", "<address type='virtio-serial' controller='0' bus='0' port='1'/>", "machine='pc-i440fx-7.2'"]) {
      expect(xml).toContain(kept);
    }
    expect(xml.match(/<source path=/g)).toHaveLength(2);
  });

  it("carries the VM's metadata", () => {
    expect(parseDomainMetadata(xml)).toEqual(spec.metadata);
  });

  it("prefers the spec's MAC", () => {
    expect(retargetSavedXml(saved, { ...spec, mac: "52:54:00:ab:cd:ef" }, identity)).toContain("<mac address='52:54:00:ab:cd:ef'/>");
  });

  it.each([
    [{ memoryMiB: 1024 }, /memory 512 MiB, the VM wants 1024/],
    [{ vcpus: 2 }, /1 vCPUs, the VM wants 2/],
    [{ boot: { kind: "kernel" as const, kernel: "/img/vmlinux-2", initrd: "/i", cmdline: "" } }, /another kernel/],
  ])("refuses a VM of another shape (%o)", (override, message) => {
    expect(() => retargetSavedXml(saved, { ...spec, ...override }, identity)).toThrow(message);
    expect(() => retargetSavedXml(saved, { ...spec, ...override }, identity)).toThrow(SnapshotShapeError);
  });

  it("refuses a snapshot without the job channel for a VM that needs one", () => {
    const without = saved.replace(/<channel[\s\S]*<\/channel>\n/, "");
    expect(() => retargetSavedXml(without, spec, identity)).toThrow(/job channel/);
  });
});

describe("randomMac", () => {
  it("is a locally administered QEMU MAC from the given bytes", () => {
    expect(randomMac(Uint8Array.from([0, 0xab, 0xff]))).toBe("52:54:00:00:ab:ff");
  });
});

describe("save image header", () => {
  function image(xml: string, cookie: string, dataLen = 4096): Buffer {
    const base = { version: 2, dataLen, wasRunning: 1, compressed: 0, cookieOffset: 0, xml: "", cookie };
    return renderSaveImageHeader(base, xml);
  }

  it("round-trips the XML and the cookie, keeping the data length (the stream's offset)", () => {
    const bytes = image("<domain>a</domain>\n", "<cookie/>");
    const header = parseSaveImageHeader(bytes);
    expect(header).toMatchObject({ version: 2, dataLen: 4096, wasRunning: 1, xml: "<domain>a</domain>\n", cookie: "<cookie/>" });
    const rewritten = renderSaveImageHeader(header, "<domain>bb ü</domain>\n");
    expect(rewritten.length).toBe(bytes.length);
    expect(parseSaveImageHeader(rewritten)).toMatchObject({ xml: "<domain>bb ü</domain>\n", cookie: "<cookie/>", dataLen: 4096 });
  });

  it("refuses XML that does not fit, and bytes that are not a save image", () => {
    const header = parseSaveImageHeader(image("<d/>", "<c/>", 64));
    expect(() => renderSaveImageHeader(header, "x".repeat(64))).toThrow(/does not fit/);
    expect(() => parseSaveImageHeader(Buffer.alloc(200))).toThrow(SaveImageError);
  });
});
