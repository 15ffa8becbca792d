// The network and filter renderer production and the lab share: what the lab's variant adds.
// (libvirt's own schema and parser check the production XML in test/stack/host-rendering.test.ts;
// a real guest tries the filter in test/integration/hypervisor/libvirt-network.test.ts.)
import { describe, expect, it } from "vitest";
import { renderNetworkXml, renderNwfilterXml, type NetworkParams } from "../../../runtime/hypervisor/libvirt/network-xml.ts";

const lab: NetworkParams = {
  network: "rf-lab-0a1b2c",
  filter: "rf-lab-0a1b2c-guest",
  bridge: "rflab0a1b2c",
  subnet: "10.215.7.0/24",
  forward: "isolated",
  hostAddresses: [],
  allowedGatewayPorts: [40123],
};

function rules(xml: string) {
  return [...xml.matchAll(/<rule action='(\w+)' direction='(\w+)' priority='(\d+)'(?: statematch='false')?>\s*<([\w-]+)\s*([^/]*)\/>/g)].map(
    ([, action, direction, priority, protocol, attrs]) => ({ action, direction, priority: Number(priority), protocol, attrs }),
  );
}

describe("the lab's variant of the runner network", () => {
  it("is isolated: no <forward>, so libvirt routes nothing off the bridge", () => {
    const xml = renderNetworkXml(lab);
    expect(xml).not.toContain("<forward");
    expect(xml).toContain("<name>rf-lab-0a1b2c</name>");
    expect(xml).toContain("<bridge name='rflab0a1b2c'");
    expect(renderNetworkXml({ ...lab, forward: "nat" })).toContain("<forward mode='nat'/>");
  });

  it("opens exactly the allowed gateway port, ahead of the rule that drops the host", () => {
    const all = rules(renderNwfilterXml(lab));
    const opened = all.filter((r) => r.action === "accept" && r.protocol === "tcp" && !/dstportstart='53'/.test(r.attrs!));
    expect(opened).toEqual([{ action: "accept", direction: "out", priority: 150, protocol: "tcp", attrs: "dstipaddr='10.215.7.1' dstportstart='40123'" }]);
    const hostDrop = all.find((r) => r.action === "drop" && r.attrs === "dstipaddr='10.215.7.1'");
    expect(hostDrop!.priority).toBeGreaterThan(opened[0]!.priority);
    // Production opens nothing on the host beyond DHCP and DNS.
    const production = rules(renderNwfilterXml({ ...lab, allowedGatewayPorts: undefined }));
    expect(production.filter((r) => r.priority === 150)).toEqual([]);
    expect(renderNwfilterXml(lab)).toContain("<filter name='rf-lab-0a1b2c-guest' chain='root'>");
  });

  it.each([0, 65536, 1.5])("refuses %s as a port", (port) => {
    expect(() => renderNwfilterXml({ ...lab, allowedGatewayPorts: [port] })).toThrow(/allowedGatewayPorts/);
  });
});

describe("the network's DHCP", () => {
  it("offers addresses without dnsmasq's ping check, which held offers back for seconds", () => {
    for (const forward of ["nat", "isolated"] as const) {
      const xml = renderNetworkXml({ ...lab, forward });
      expect(xml).toContain("<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>");
      expect(xml).toContain("<dnsmasq:option value='no-ping'/>");
    }
  });
});
