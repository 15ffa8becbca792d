import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { metadataNamespace, parseDomainMetadata, renderDomainXml } from "../../../runtime/hypervisor/libvirt/domain-xml.ts";
import { escapeXml, unescapeXml } from "../../../runtime/hypervisor/libvirt/xml-text.ts";
import { InvalidDomainSpecError } from "../../../runtime/hypervisor/spec-validation.ts";
import type { DomainSpec } from "../../../runtime/ports/hypervisor.ts";

const spec: DomainSpec = {
  name: "rf-host1-small-0a1b2c3d",
  vcpus: 2,
  memoryMiB: 2048,
  disk: "/var/lib/runner-fleet/overlays/rf-host1-small-0a1b2c3d.qcow2",
  boot: { kind: "kernel", kernel: "/images/vmlinux", initrd: "/images/initrd.img", cmdline: "console=ttyS0 root=/dev/vda rw" },
  fwCfg: [{ name: "opt/runner-fleet/jitconfig", file: "/var/lib/runner-fleet/secrets/rf-host1-small-0a1b2c3d.jit" }],
  network: { kind: "libvirt-network", network: "runner-fleet", filter: "runner-fleet-guest" },
  serialLog: "/var/lib/runner-fleet/logs/rf-host1-small-0a1b2c3d.log",
  metadata: { pool: "small", createdAt: "2026-01-02T03:04:05.678Z" },
};

const reference = "&(?:amp|lt|gt|quot|apos|#\\d+);";
const tagPattern = new RegExp(`^<(?:/[\\w:]+|[\\w:]+(?:\\s+[\\w:.-]+='(?:[^'<&]|${reference})*')*\\s*/?)>$`);
const textPattern = new RegExp(`^(?:[^<>&]|${reference})*$`);

/** Every tag is a name with single-quoted, escaped attributes; all text between tags is escaped. */
function isEscapedXml(xml: string): boolean {
  const parts = xml.split(/(<[^>]*>)/);
  return parts.every((part, index) => (index % 2 === 1 ? tagPattern.test(part) : textPattern.test(part)));
}

describe("renderDomainXml", () => {
  it("renders the pool's size, TCG by default, and destroy on every way the guest stops", () => {
    const xml = renderDomainXml(spec);
    expect(xml).toMatch(/^<domain type='qemu'>/);
    expect(xml).toContain("<name>rf-host1-small-0a1b2c3d</name>");
    expect(xml).toContain("<memory unit='MiB'>2048</memory>");
    expect(xml).toContain("<vcpu placement='static'>2</vcpu>");
    expect(xml).toContain("<cpu mode='maximum' check='none'/>");
    for (const event of ["on_poweroff", "on_reboot", "on_crash"]) expect(xml).toContain(`<${event}>destroy</${event}>`);
    expect(xml).not.toContain("<uuid>");
  });

  it("picks kvm with the host's CPU when asked, and keeps a given UUID", () => {
    const xml = renderDomainXml(spec, { domainType: "kvm", uuid: "91021cae-f071-4017-a7d2-922b74553b82", machine: "q35" });
    expect(xml).toMatch(/^<domain type='kvm'/);
    expect(xml).toContain("<cpu mode='host-passthrough' check='none'/>");
    expect(xml).toContain("<uuid>91021cae-f071-4017-a7d2-922b74553b82</uuid>");
    expect(xml).toContain("machine='q35'");
  });

  it("boots the kernel directly, or from the disk", () => {
    const kernel = renderDomainXml(spec);
    expect(kernel).toContain("<kernel>/images/vmlinux</kernel>");
    expect(kernel).toContain("<initrd>/images/initrd.img</initrd>");
    expect(kernel).toContain("<cmdline>console=ttyS0 root=/dev/vda rw</cmdline>");
    expect(kernel).not.toContain("<boot dev=");
    const disk = renderDomainXml({ ...spec, boot: { kind: "disk" } });
    expect(disk).toContain("<boot dev='hd'/>");
    expect(disk).not.toContain("<kernel>");
  });

  it("puts the overlay on virtio, the console in the serial log and each fw_cfg file in sysinfo", () => {
    const xml = renderDomainXml(spec);
    expect(xml).toContain(`<source file='${spec.disk}'/>`);
    expect(xml).toContain("<target dev='vda' bus='virtio'/>");
    expect(xml).toContain(`<serial type='file'>\n      <source path='${spec.serialLog}'/>`);
    expect(xml).toContain(`<entry name='opt/runner-fleet/jitconfig' file='${spec.fwCfg[0]!.file}'/>`);
    expect(xml).toContain("<features><acpi/></features>");
    expect(renderDomainXml({ ...spec, fwCfg: [] })).not.toContain("<sysinfo");
  });

  it("a libvirt network: a virtio interface, with the nwfilter only when one is named", () => {
    const plain = renderDomainXml({ ...spec, network: { kind: "libvirt-network", network: "runners" } });
    expect(plain).toContain("<source network='runners'/>");
    expect(plain).toContain("<model type='virtio'/>");
    expect(plain).not.toContain("filterref");
    expect(plain).not.toContain("qemu:");
    const filtered = renderDomainXml({ ...spec, network: { kind: "libvirt-network", network: "runners", filter: "rf-clean" } });
    expect(filtered).toContain("<filterref filter='rf-clean'/>");
    // An address the controller assigned: the filter gets it, so libvirt learns nothing.
    const given = renderDomainXml({ ...spec, network: { kind: "libvirt-network", network: "runners", filter: "rf-clean", ip: "10.9.0.200" } });
    expect(given).toContain("<filterref filter='rf-clean'>\n        <parameter name='IP' value='10.9.0.200'/>\n      </filterref>");
  });

  it("escapes every interpolated value", () => {
    const awkward = "/data/it's <a> & \"b\"";
    const xml = renderDomainXml({
      ...spec,
      disk: `${awkward}.qcow2`,
      serialLog: `${awkward}.log`,
      boot: { kind: "kernel", kernel: `${awkward}/k`, initrd: `${awkward}/i`, cmdline: "a='1' b=\"<2>\" & c" },
      fwCfg: [{ name: "opt/x", file: `${awkward}.jit` }],
      network: { kind: "libvirt-network", network: "net'<&>", filter: "f\"'" },
      metadata: { pool: "p'<&>\"\n", createdAt: spec.metadata.createdAt },
    });
    expect(isEscapedXml(xml)).toBe(true);
    expect(isEscapedXml(renderDomainXml(spec))).toBe(true);
    // The checker itself can fail:
    expect(isEscapedXml("<a b='it's'/>")).toBe(false);
    expect(isEscapedXml("<a>x & y</a>")).toBe(false);
    expect(xml).toContain("<cmdline>a=&apos;1&apos; b=&quot;&lt;2&gt;&quot; &amp; c</cmdline>");
    expect(xml).toContain("<source network='net&apos;&lt;&amp;&gt;'/>");
  });

  it("validates the spec first, naming the field", () => {
    expect(() => renderDomainXml({ ...spec, memoryMiB: 12.5 })).toThrow(InvalidDomainSpecError);
    expect(() => renderDomainXml({ ...spec, serialLog: "/logs/a\nb" })).toThrow(/serialLog/);
  });
});

describe("parseDomainMetadata", () => {
  // What `virsh dumpxml` returned for a domain defined from renderDomainXml (libvirt 9.0),
  // with another application's metadata added in front.
  const dumped = `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>rfexp-dump</name>
  <uuid>91021cae-f071-4017-a7d2-922b74553b82</uuid>
  <metadata>
    <other:runner xmlns:other="https://example.com/other" pool="not-ours" created-at="1999-01-01T00:00:00Z"/>
    <rf:runner xmlns:rf="https://runner-fleet.dev/xmlns/domain/1" pool="a'b&quot;c&lt;d&gt;&amp;e&#9;f&#10;g" created-at="2026-01-01T00:00:00.000Z"/>
  </metadata>
  <memory unit='KiB'>262144</memory>
</domain>`;

  it("reads our element from libvirt's XML and ignores other namespaces", () => {
    expect(parseDomainMetadata(dumped)).toEqual({ pool: "a'b\"c<d>&e\tf\ng", createdAt: "2026-01-01T00:00:00.000Z" });
  });

  it("is undefined for a domain without our metadata, or with an incomplete element", () => {
    expect(parseDomainMetadata("<domain type='qemu'><name>x</name></domain>")).toBeUndefined();
    expect(parseDomainMetadata(dumped.replace(metadataNamespace, "https://example.com/fake"))).toBeUndefined();
    expect(parseDomainMetadata(dumped.replace(/(pool="a'[^"]*") created-at="[^"]*"/, "$1"))).toBeUndefined();
  });

  it("round-trips any metadata XML can carry", () => {
    const xmlText = fc.string({ unit: "grapheme", minLength: 1 }).filter((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(s));
    fc.assert(
      fc.property(xmlText, fc.date({ noInvalidDate: true }), (pool, date) => {
        const metadata = { pool, createdAt: date.toISOString() };
        expect(parseDomainMetadata(renderDomainXml({ ...spec, metadata }))).toEqual(metadata);
      }),
    );
  });
});

describe("escapeXml / unescapeXml", () => {
  it("are inverse for any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(unescapeXml(escapeXml(s))).toBe(s);
      }),
    );
  });

  it("leave no markup characters behind", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(escapeXml(s)).not.toMatch(/[<>"'\t\n\r]|&(?!amp;|lt;|gt;|quot;|apos;|#\d+;)/);
      }),
    );
  });
});
