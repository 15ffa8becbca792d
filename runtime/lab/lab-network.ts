/**
 * The lab's guest network: production's libvirt network and nwfilter (one renderer,
 * runtime/hypervisor/libvirt/network-xml.ts), made isolated and transient for one run. Isolated:
 * libvirt routes nothing off the bridge, so even a broken filter cannot let a guest reach beyond
 * this machine. The filter lets guests reach one host port besides DHCP/DNS: the emulator's
 * runner listener on the bridge's gateway address.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planSubnet, renderNetworkXml, renderNwfilterXml, type NetworkParams } from "../hypervisor/libvirt/network-xml.ts";
import { createVirsh, type Virsh } from "../hypervisor/libvirt/virsh.ts";
import type { NetworkAttachment } from "../ports/hypervisor.ts";

export interface LabNetwork {
  /** What the controller's config and domain specs name. */
  attachment: NetworkAttachment & { subnet: string };
  subnet: string;
  /** The host's address on the bridge: where the runner listener listens. */
  gateway: string;
  bridge: string;
  /** Defines the guest filter with these gateway ports open; before any guest starts. */
  allowGatewayPorts(ports: readonly number[]): Promise<void>;
  /** Removes the network and the filter (after the guests are gone). */
  close(): Promise<void>;
}

/** Subnets 10.215.N.0/24 tried in turn; libvirt refuses one that this machine already routes. */
const attempts = 6;

export async function startLabNetwork(options: { uri?: string } = {}): Promise<LabNetwork> {
  const virsh = createVirsh({ uri: options.uri ?? "qemu:///system" });
  const id = randomBytes(3).toString("hex");
  const dir = await mkdtemp(join(tmpdir(), "rf-lab-net-"));
  const base = { network: `rf-lab-${id}`, filter: `rf-lab-${id}-guest`, bridge: `rflab${id}`, forward: "isolated", hostAddresses: [] } as const;
  try {
    const params = await createNetwork(virsh, dir, base, randomBytes(1)[0]!);
    const { gateway } = planSubnet(params.subnet);
    let filterDefined = false;
    return {
      attachment: { kind: "libvirt-network", network: params.network, filter: params.filter, subnet: params.subnet },
      subnet: params.subnet,
      gateway,
      bridge: params.bridge,
      async allowGatewayPorts(ports) {
        const file = join(dir, "nwfilter.xml");
        await writeFile(file, renderNwfilterXml({ ...params, allowedGatewayPorts: ports }));
        await virsh.run(["nwfilter-define", "--file", file]);
        filterDefined = true;
      },
      async close() {
        await virsh.run(["net-destroy", "--network", params.network]).catch(() => undefined);
        if (filterDefined) await virsh.run(["nwfilter-undefine", "--nwfilter", params.filter]);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** `net-create`: a transient network, gone at destroy (or a libvirtd restart) with its firewall rules. */
async function createNetwork(virsh: Virsh, dir: string, base: Omit<NetworkParams, "subnet">, seed: number): Promise<NetworkParams> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const params = { ...base, subnet: `10.215.${(seed + i * 37) % 256}.0/24` };
    const file = join(dir, "network.xml");
    await writeFile(file, renderNetworkXml(params));
    try {
      await virsh.run(["net-create", "--file", file]);
      return params;
    } catch (error) {
      // libvirt refuses a subnet another interface already routes; try the next one.
      if (!/already in use/i.test(String(error))) throw error;
      lastError = error;
    }
  }
  throw new Error(`no free 10.215.N.0/24 subnet for the lab network after ${attempts} tries: ${String(lastError)}`);
}
