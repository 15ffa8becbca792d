/**
 * Static guest addresses (runtime/controller/address-allocator.ts): a free address of the
 * subnet's static half for each new VM, never one a live VM holds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addressHint, allocateAddress, assignAddress } from "../../../runtime/controller/address-allocator.ts";
import { ipv4ToNumber, planSubnet } from "../../../runtime/protocol/guest-network.ts";

describe("allocateAddress", () => {
  it.each([
    ["the hint's address when free", "10.9.0.0/24", [], 0, "10.9.0.128"],
    ["the hint wraps around the static half", "10.9.0.0/24", [], 127 + 5, "10.9.0.133"],
    ["the next free one after taken ones", "10.9.0.0/24", ["10.9.0.128", "10.9.0.129"], 0, "10.9.0.130"],
    ["wrapping past the end", "10.9.0.0/24", ["10.9.0.254"], 126, "10.9.0.128"],
    ["addresses outside the half do not matter", "10.9.0.0/24", ["10.9.0.2", "10.9.0.1", "not an address"], 0, "10.9.0.128"],
    ["a negative hint", "10.9.0.0/24", [], -1, "10.9.0.254"],
    ["none when the half is full", "192.168.3.8/29", ["192.168.3.12", "192.168.3.13", "192.168.3.14"], 7, undefined],
  ])("%s", (_, subnet, inUse, hint, expected) => {
    expect(allocateAddress(subnet, inUse, hint)).toBe(expected);
  });

  it("never hands out an address twice among live VMs, nor one outside the static half, the gateway's or the broadcast", () => {
    const subnets = fc.constantFrom("10.215.7.0/24", "192.168.3.8/29", "172.20.8.0/22", "10.1.2.96/27");
    // A life of the controller: VMs come (with any hint) and go (any live one), in any order.
    const steps = fc.array(fc.oneof(fc.record({ kind: fc.constant("add" as const), hint: fc.integer() }), fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() })), { maxLength: 80 });
    fc.assert(
      fc.property(subnets, steps, (subnet, script) => {
        const plan = planSubnet(subnet);
        const [first, last] = [ipv4ToNumber(plan.staticStart), ipv4ToNumber(plan.staticEnd)];
        const live: string[] = [];
        for (const step of script) {
          if (step.kind === "remove") {
            if (live.length > 0) live.splice(step.pick % live.length, 1);
            continue;
          }
          const address = allocateAddress(subnet, live, step.hint);
          if (address === undefined) {
            expect(live.length).toBe(last - first + 1);
            continue;
          }
          expect(live).not.toContain(address);
          expect(ipv4ToNumber(address)).toBeGreaterThanOrEqual(first);
          expect(ipv4ToNumber(address)).toBeLessThanOrEqual(last);
          expect(address).not.toBe(plan.gateway);
          live.push(address);
        }
      }),
    );
  });
});

describe("assignAddress", () => {
  const kernel = { kind: "kernel" as const, kernel: "/k", initrd: "/i", cmdline: "console=ttyS0" };
  const network = { kind: "libvirt-network" as const, network: "runners", filter: "f", subnet: "10.9.0.0/24" };
  const name = "rf-lab-lab-0a1b2c3d";

  it("gives a kernel-boot guest an address its live neighbours do not hold, starting at its name's hint", () => {
    const expected = allocateAddress("10.9.0.0/24", [], addressHint(name));
    expect(assignAddress({ image: { base: "/b", boot: kernel }, network }, name, [{}, { address: "10.9.0.2" }])).toBe(expected);
    const taken = assignAddress({ image: { base: "/b", boot: kernel }, network }, name, [{ address: expected! }]);
    expect(taken).not.toBe(expected);
    expect(taken).toBeDefined();
  });

  it.each([
    ["a disk-boot image (it asks DHCP)", { base: "/b", boot: { kind: "disk" as const } }, network],
    ["a network whose subnet the controller is not told", { base: "/b", boot: kernel }, { kind: "libvirt-network" as const, network: "runners" }],
  ])("gives none to %s", (_, image, net) => {
    expect(assignAddress({ image, network: net }, name, [])).toBeUndefined();
  });

  it("spreads hints: different names rarely start at the same address", () => {
    const hints = new Set(Array.from({ length: 50 }, (_, i) => addressHint(`rf-lab-lab-${i.toString(16).padStart(8, "0")}`) % 127));
    expect(hints.size).toBeGreaterThan(30);
  });
});
