import { describe, expect, it } from "vitest";
import { InvalidDomainSpecError, validateDomainName, validateDomainSpec } from "../../../runtime/hypervisor/spec-validation.ts";
import type { DomainSpec } from "../../../runtime/ports/hypervisor.ts";

const valid: DomainSpec = {
  name: "rf-host1-small-0a1b2c3d",
  vcpus: 1,
  memoryMiB: 512,
  disk: "/o/a.qcow2",
  boot: { kind: "kernel", kernel: "/i/vmlinux", initrd: "/i/initrd.img", cmdline: "console=ttyS0" },
  fwCfg: [{ name: "opt/runner-fleet/jitconfig", file: "/s/a.jit" }],
  network: { kind: "libvirt-network", network: "runners" },
  serialLog: "/l/a.log",
  metadata: { pool: "small", createdAt: "2026-01-01T00:00:00.000Z" },
};

function fieldOf(spec: DomainSpec): string | undefined {
  try {
    validateDomainSpec(spec);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidDomainSpecError) return error.field;
    throw error;
  }
}

describe("validateDomainSpec", () => {
  it("accepts a complete spec, and a disk boot on a filtered network", () => {
    expect(fieldOf(valid)).toBeUndefined();
    expect(fieldOf({ ...valid, boot: { kind: "disk" }, network: { kind: "libvirt-network", network: "runners", filter: "clean" } })).toBeUndefined();
  });

  it("names the field that is wrong", () => {
    const cases: [Partial<DomainSpec>, string][] = [
      [{ name: "a".repeat(65) }, "name"],
      [{ name: "-leading-dash" }, "name"],
      [{ name: "91021cae-f071-4017-a7d2-922b74553b82" }, "name"],
      [{ memoryMiB: 32 }, "memoryMiB"],
      [{ serialLog: "logs/a.log" }, "serialLog"],
      [{ boot: { kind: "kernel", kernel: "/k", initrd: "/i", cmdline: "a\nb" } }, "boot.cmdline"],
      [{ boot: { kind: "kernel", kernel: "k", initrd: "/i", cmdline: "" } }, "boot.kernel"],
      [{ fwCfg: [{ name: `opt/${"x".repeat(52)}`, file: "/s" }] }, "fwCfg[0].name"],
      [{ fwCfg: [valid.fwCfg[0]!, valid.fwCfg[0]!] }, "fwCfg[1].name"],
      [{ fwCfg: [{ name: "opt/x", file: "s" }] }, "fwCfg[0].file"],
      [{ network: { kind: "libvirt-network", network: "" } }, "network.network"],
      [{ network: { kind: "libvirt-network", network: "runners", filter: "a\nb" } }, "network.filter"],
      [{ network: { kind: "user-restricted" } as unknown as DomainSpec["network"] }, "network.kind"],
      [{ metadata: { pool: "", createdAt: valid.metadata.createdAt } }, "metadata.pool"],
      [{ metadata: { pool: "lone \ud800 surrogate", createdAt: valid.metadata.createdAt } }, "metadata.pool"],
    ];
    for (const [override, field] of cases) expect(fieldOf({ ...valid, ...override }), field).toBe(field);
  });

  it("says what is wrong in the message", () => {
    expect(() => validateDomainName("bad name")).toThrow("invalid domain spec: name must be 1-64 letters");
  });
});
