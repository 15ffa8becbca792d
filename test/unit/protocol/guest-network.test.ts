/**
 * The runner subnet's split (runtime/protocol/guest-network.ts): DHCP leases the lower half, the
 * controller assigns the upper half; and the kernel command line argument guest/guest-init reads.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { guestNetworkCmdlineArg, guestNetworkConfig, ipv4ToNumber, planSubnet } from "../../../runtime/protocol/guest-network.ts";

describe("the runner subnet's plan", () => {
  it.each([
    ["10.215.7.0/24", { gateway: "10.215.7.1", dhcpStart: "10.215.7.2", dhcpEnd: "10.215.7.127", staticStart: "10.215.7.128", staticEnd: "10.215.7.254" }],
    ["172.20.8.0/22", { gateway: "172.20.8.1", dhcpStart: "172.20.8.2", dhcpEnd: "172.20.9.255", staticStart: "172.20.10.0", staticEnd: "172.20.11.254" }],
    ["10.1.2.99/28", { gateway: "10.1.2.97", dhcpStart: "10.1.2.98", dhcpEnd: "10.1.2.103", staticStart: "10.1.2.104", staticEnd: "10.1.2.110" }],
    ["192.168.3.8/29", { gateway: "192.168.3.9", dhcpStart: "192.168.3.10", dhcpEnd: "192.168.3.11", staticStart: "192.168.3.12", staticEnd: "192.168.3.14" }],
  ])("%s: gateway first, then the DHCP half, then the static half", (subnet, expected) => {
    expect(planSubnet(subnet)).toMatchObject(expected);
  });

  it.each(["10.0.0.0", "10.0.0.0/30", "10.0.0.0/7", "10.0.0.0/24/1", "10.0.0/24", "fd00::/64", "10.0.0.0/x", ""])("refuses %j, naming it", (subnet) => {
    expect(() => planSubnet(subnet)).toThrow(`runner subnet ${JSON.stringify(subnet)}`);
  });

  it("never lets the halves overlap, reach the gateway or the broadcast address (any /8 to /29)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 8, max: 29 }), (base, prefix) => {
        const subnet = `${[24, 16, 8, 0].map((s) => (base >>> s) & 255).join(".")}/${prefix}`;
        const plan = planSubnet(subnet);
        const n = (a: string) => ipv4ToNumber(a);
        const network = n(plan.gateway) - 1;
        const broadcast = network + 2 ** (32 - prefix) - 1;
        expect(n(plan.dhcpStart)).toBe(n(plan.gateway) + 1);
        expect(n(plan.dhcpEnd)).toBeGreaterThanOrEqual(n(plan.dhcpStart));
        expect(n(plan.staticStart)).toBe(n(plan.dhcpEnd) + 1);
        expect(n(plan.staticEnd)).toBe(broadcast - 1);
        expect(n(plan.staticEnd)).toBeGreaterThanOrEqual(n(plan.staticStart));
      }),
    );
  });
});

describe("the guest's static configuration", () => {
  it("is the address on the subnet, with the gateway as router and DNS server", () => {
    expect(guestNetworkConfig("10.215.7.0/24", "10.215.7.200")).toEqual({ address: "10.215.7.200", prefix: 24, gateway: "10.215.7.1", dns: ["10.215.7.1"] });
  });

  it.each([
    [{ address: "10.215.7.200", prefix: 24, gateway: "10.215.7.1", dns: ["10.215.7.1"] }, "rf.net=static:10.215.7.200/24:10.215.7.1"],
    [{ address: "10.0.0.9", prefix: 16, gateway: "10.0.0.1", dns: ["10.0.0.1", "10.0.0.2"] }, "rf.net=static:10.0.0.9/16:10.0.0.1:10.0.0.1,10.0.0.2"],
    [{ address: "10.0.0.9", prefix: 16, gateway: "10.0.0.1", dns: ["10.0.0.53"] }, "rf.net=static:10.0.0.9/16:10.0.0.1:10.0.0.53"],
  ])("is written on the kernel command line as guest-init reads it: %j", (config, arg) => {
    expect(guestNetworkCmdlineArg(config)).toBe(arg);
  });

  it("refuses anything but IPv4 addresses, which could break the command line", () => {
    expect(() => guestNetworkCmdlineArg({ address: "10.0.0.9 init=/bin/sh", prefix: 24, gateway: "10.0.0.1", dns: [] })).toThrow("is not an IPv4 address");
    expect(() => guestNetworkCmdlineArg({ address: "10.0.0.9", prefix: 24, gateway: "10.0.0.1", dns: ["x"] })).toThrow('"x" is not an IPv4 address');
  });
});
