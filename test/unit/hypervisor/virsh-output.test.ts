import { describe, expect, it } from "vitest";
import {
  batchInspectCommand,
  domainStateOf,
  parseBatchInspect,
  parseDacLabel,
  parseDomainList,
  parseDomainTable,
  parseDominfo,
  parseLifecycleEvent,
} from "../../../runtime/hypervisor/libvirt/virsh-output.ts";

// Outputs captured from virsh 9.0.0 on this project's lab machine.

describe("domainStateOf", () => {
  it("maps virsh's state words onto the port's states", () => {
    expect(["running", "idle", "blocked", "in shutdown"].map(domainStateOf)).toEqual(["running", "running", "running", "running"]);
    expect(domainStateOf("shut off")).toBe("shutoff");
    expect(domainStateOf("paused")).toBe("paused");
    expect(domainStateOf("pmsuspended")).toBe("paused");
    expect(domainStateOf("crashed\n")).toBe("crashed");
    expect(domainStateOf("dying")).toBe("other");
  });
});

describe("parseDomainList", () => {
  it("reads `list --all --uuid --name` lines, names with spaces included", () => {
    const text = "72d772cb-89a9-43dc-be9f-9e486afdd253 rfexp-d\n0c0a4d26-7e0e-4d6c-9d0a-1f7e7c1b2a3b with space\n\n";
    expect(parseDomainList(text)).toEqual([
      { uuid: "72d772cb-89a9-43dc-be9f-9e486afdd253", name: "rfexp-d" },
      { uuid: "0c0a4d26-7e0e-4d6c-9d0a-1f7e7c1b2a3b", name: "with space" },
    ]);
    expect(parseDomainList("\n")).toEqual([]);
  });
});

describe("parseDominfo", () => {
  it("reads the UUID and the state", () => {
    const text = `Id:             -
Name:           rfexp-d
UUID:           72d772cb-89a9-43dc-be9f-9e486afdd253
OS Type:        hvm
State:          shut off
CPU(s):         1
Max memory:     262144 KiB
Persistent:     yes
`;
    expect(parseDominfo(text)).toEqual({ uuid: "72d772cb-89a9-43dc-be9f-9e486afdd253", state: "shutoff" });
    expect(parseDominfo(text.replace("shut off", "running"))).toEqual({ uuid: "72d772cb-89a9-43dc-be9f-9e486afdd253", state: "running" });
  });

  it("throws on output it does not understand", () => {
    expect(() => parseDominfo("error: something else")).toThrow(/unexpected virsh dominfo output/);
  });
});

describe("batch inspection", () => {
  const a = "72d772cb-89a9-43dc-be9f-9e486afdd253";
  const b = "0c0a4d26-7e0e-4d6c-9d0a-1f7e7c1b2a3b";
  const c = "11111111-2222-3333-4444-555555555555";
  const marker = "rfsection0123456789abcdef:";

  it("builds one virsh command string with a marked section per domain", () => {
    expect(batchInspectCommand([a, b], marker)).toBe(
      `echo ${marker}${a}; domstate ${a}; dumpxml ${a}; echo ${marker}${b}; domstate ${b}; dumpxml ${b}; echo ${marker}end`,
    );
  });

  it("splits the sections; a domain that vanished in between (empty section) is left out", () => {
    // virsh prints `echo` without a newline in command-string mode; errors go to stderr.
    const output =
      `${marker}${a}running\n\n<domain type='qemu' id='5'>\n  <name>x</name>\n</domain>\n\n` +
      `${marker}${b}` +
      `${marker}${c}shut off\n\n<domain type='qemu'>\n  <metadata><rf:runner xmlns:rf="https://runner-fleet.dev/xmlns/domain/1" pool="p" created-at="t"/></metadata>\n</domain>\n\n`;
    const parsed = parseBatchInspect(output, marker);
    expect([...parsed.keys()]).toEqual([a, c]);
    expect(parsed.get(a)).toEqual({ state: "running", xml: "<domain type='qemu' id='5'>\n  <name>x</name>\n</domain>" });
    expect(parsed.get(c)?.state).toBe("shutoff");
    expect(parsed.get(c)?.xml).toContain('pool="p"');
  });
});

describe("parseLifecycleEvent", () => {
  it("turns state changes into events", () => {
    expect(parseLifecycleEvent("event 'lifecycle' for domain 'rfexp-d': Started Booted")).toEqual({
      kind: "lifecycle",
      domain: "rfexp-d",
      state: "running",
    });
    expect(parseLifecycleEvent("event 'lifecycle' for domain 'rfexp-d': Stopped Shutdown\n")?.state).toBe("shutoff");
    expect(parseLifecycleEvent("event 'lifecycle' for domain 'rfexp-d': Stopped Destroyed")?.state).toBe("shutoff");
    expect(parseLifecycleEvent("event 'lifecycle' for domain 'rfexp-d': Suspended Paused")?.state).toBe("paused");
    expect(parseLifecycleEvent("event 'lifecycle' for domain 'rfexp-d': Resumed Unpaused")?.state).toBe("running");
    expect(parseLifecycleEvent("event 'lifecycle' for domain 'rfexp-d': Crashed Panicked")?.state).toBe("crashed");
  });

  it("keeps names with quotes, colons and spaces whole", () => {
    expect(parseLifecycleEvent("event 'lifecycle' for domain 'it's: odd': Stopped Failed")?.domain).toBe("it's: odd");
  });

  it("drops definition changes, the transitional Shutdown and anything else", () => {
    expect(parseLifecycleEvent("event 'lifecycle' for domain 'x': Defined Added")).toBeUndefined();
    expect(parseLifecycleEvent("event 'lifecycle' for domain 'x': Undefined Removed")).toBeUndefined();
    expect(parseLifecycleEvent("event 'lifecycle' for domain 'x': Shutdown Finished after guest request")).toBeUndefined();
    expect(parseLifecycleEvent("event 'reboot' for domain 'x'")).toBeUndefined();
    expect(parseLifecycleEvent("")).toBeUndefined();
  });
});

describe("parseDacLabel", () => {
  const capabilities = `<capabilities>
  <host>
    <secmodel>
      <model>none</model>
      <doi>0</doi>
    </secmodel>
    <secmodel>
      <model>dac</model>
      <doi>0</doi>
      <baselabel type='kvm'>+64055:+107</baselabel>
      <baselabel type='qemu'>+64055:+64055</baselabel>
    </secmodel>
  </host>
</capabilities>`;

  it("reads the user and group QEMU runs as, per domain type", () => {
    expect(parseDacLabel(capabilities, "qemu")).toEqual({ uid: 64055, gid: 64055 });
    expect(parseDacLabel(capabilities, "kvm")).toEqual({ uid: 64055, gid: 107 });
  });

  it("is undefined without a DAC model (qemu:///session)", () => {
    expect(parseDacLabel(capabilities.replace("<model>dac</model>", "<model>selinux</model>"), "qemu")).toBeUndefined();
    expect(parseDacLabel("<capabilities/>", "qemu")).toBeUndefined();
  });
});

describe("parseDomainTable", () => {
  it("reads names and states from `virsh -q list --all`, states of two words included", () => {
    const text = " 3    rf-h1-small-0000000a   running\n -    rf-h1-small-0000000b   shut off\n 12   other                  in shutdown\n -    x   paused\n";
    expect([...parseDomainTable(text)]).toEqual([
      ["rf-h1-small-0000000a", "running"],
      ["rf-h1-small-0000000b", "shutoff"],
      ["other", "running"],
      ["x", "paused"],
    ]);
    expect(parseDomainTable("")).toEqual(new Map());
  });
});
