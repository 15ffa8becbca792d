import { describe, expect, it } from "vitest";
import { extraDiskTarget, renderExtraDisks, renderFwCfgText } from "../../../runtime/hypervisor/libvirt/extra-disks-xml.ts";
import { renderDomainXml } from "../../../runtime/hypervisor/libvirt/domain-xml.ts";
import type { DomainSpec } from "../../../runtime/ports/hypervisor.ts";
import { diskBootSpec } from "../../support/domain-spec-fixture.ts";

describe("extra disks (dependency caches)", () => {
  it.each([
    [0, "vdb"],
    [1, "vdc"],
    [24, "vdz"],
    [25, "vdaa"],
    [26, "vdab"],
  ])("disk %d after the root disk is %s", (index, dev) => {
    expect(extraDiskTarget(index)).toBe(dev);
  });

  it.each([
    [
      { file: "/s/caches/lab/npm/gen-000001.qcow2", serial: "rfro-npm", readOnly: true },
      ["<driver name='qemu' type='qcow2'/>", "<source file='/s/caches/lab/npm/gen-000001.qcow2'/>", "<target dev='vdb' bus='virtio'/>", "<serial>rfro-npm</serial>", "<readonly/>"],
      ["cache='writeback'"],
    ],
    [
      { file: "/s/overlays/vm.cache-npm.qcow2", serial: "rfrw-npm", readOnly: false },
      ["<driver name='qemu' type='qcow2' cache='writeback' discard='unmap'/>", "<serial>rfrw-npm</serial>"],
      ["<readonly/>"],
    ],
    [{ file: "/s/it's<here>.qcow2", serial: "x", readOnly: true }, ["<source file='/s/it&apos;s&lt;here&gt;.qcow2'/>"], ["it's"]],
  ])("%j renders with %j and without %j", (disk, present, absent) => {
    const xml = renderExtraDisks([disk]).join("\n");
    for (const part of present) expect(xml).toContain(part);
    for (const part of absent) expect(xml).not.toContain(part);
  });

  it("renders inline fw_cfg values escaped, newlines kept", () => {
    expect(renderFwCfgText([{ name: "opt/runner-fleet/caches", value: "npm /a<b\n" }])).toEqual([
      "    <entry name='opt/runner-fleet/caches'>npm /a&lt;b&#10;</entry>",
    ]);
  });

  const spec = diskBootSpec;

  it("the domain gets the disks after vda and the map in its fw_cfg sysinfo; none without caches", () => {
    const xml = renderDomainXml({
      ...spec,
      extraDisks: [{ file: "/g.qcow2", serial: "rfro-npm", readOnly: true }],
      fwCfgText: [{ name: "opt/runner-fleet/caches", value: "npm /n\n" }],
    });
    expect(xml.indexOf("<target dev='vdb'")).toBeGreaterThan(xml.indexOf("<target dev='vda'"));
    expect(xml).toContain("<sysinfo type='fwcfg'>\n    <entry name='opt/runner-fleet/caches'>npm /n&#10;</entry>\n  </sysinfo>");
    const plain = renderDomainXml(spec);
    expect(plain).not.toContain("vdb");
    expect(plain).not.toContain("sysinfo");
  });

  it.each([
    [{ extraDisks: [{ file: "relative.qcow2", serial: "s", readOnly: true }] }, "extraDisks[0].file"],
    [{ extraDisks: [{ file: "/a", serial: "a-serial-longer-than-20", readOnly: true }] }, "extraDisks[0].serial"],
    [{ fwCfgText: [{ name: "etc/x", value: "" }] }, "fwCfgText[0].name"],
    [{ fwCfg: [{ name: "opt/a", file: "/f" }], fwCfgText: [{ name: "opt/a", value: "" }] }, "fwCfgText[0].name"],
  ] as const)("refuses %j naming %s", (extra, field) => {
    expect(() => renderDomainXml({ ...spec, ...extra } as unknown as DomainSpec)).toThrow(field);
  });
});
