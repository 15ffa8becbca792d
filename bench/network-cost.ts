/**
 * What the guest filter costs libvirt per VM: `virsh start` and `virsh destroy` of a domain on
 * the lab network, interleaved over variants of its interface (no filter; the filter learning
 * the guest's IP; the filter given the IP; libvirt's clean-traffic alone). The guest is a
 * disk boot of the lab disk without a bootloader: it idles in the firmware, so only libvirt's
 * and QEMU's own work is timed. Run as root, under the VM lock:
 *
 *   npx tsx bench/network-cost.ts [ROUNDS]
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderNwfilterXml, type NetworkParams } from "../runtime/hypervisor/libvirt/network-xml.ts";
import { createLibvirtHypervisor } from "../runtime/hypervisor/libvirt/libvirt-hypervisor.ts";
import { createVirsh } from "../runtime/hypervisor/libvirt/virsh.ts";
import { startLabNetwork } from "../runtime/lab/lab-network.ts";
import { defaultImageDir } from "../runtime/lab/prerequisites.ts";
import type { DomainSpec, NetworkAttachment } from "../runtime/ports/hypervisor.ts";

interface Variant {
  label: string;
  filterXml?: (params: NetworkParams) => string;
  withIp: boolean;
}

const variants: Variant[] = [
  { label: "no filter", withIp: false },
  { label: "filter, IP learnt", filterXml: renderNwfilterXml, withIp: false },
  { label: "filter, IP given", filterXml: renderNwfilterXml, withIp: true },
  { label: "clean-traffic only, IP given", filterXml: (p) => `<filter name='${p.filter}' chain='root'>\n  <filterref filter='clean-traffic'/>\n</filter>\n`, withIp: true },
];

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  const uri = "qemu:///system";
  const virsh = createVirsh({ uri });
  const hv = createLibvirtHypervisor({ uri });
  const manifest = JSON.parse(await readFile(join(defaultImageDir, "manifest.json"), "utf8")) as { artifacts: { base: { path: string } } };
  const dir = await mkdtemp(join(tmpdir(), "rf-netcost-"));
  await chmod(dir, 0o755);
  const network = await startLabNetwork({ uri });
  const id = randomBytes(3).toString("hex");
  const filters: string[] = [];
  const samples = new Map<string, { start: number[]; destroy: number[] }>();
  try {
    await network.allowGatewayPorts([]);
    const params: NetworkParams = { network: network.attachment.network, filter: "", bridge: network.bridge, subnet: network.subnet, forward: "isolated", hostAddresses: [] };
    const attachments = await Promise.all(
      variants.map(async (variant, index): Promise<NetworkAttachment> => {
        if (!variant.filterXml) return { kind: "libvirt-network", network: params.network };
        const filter = `rf-netcost-${id}-${index}`;
        const file = join(dir, `${filter}.xml`);
        await writeFile(file, variant.filterXml({ ...params, filter }));
        await virsh.run(["nwfilter-define", "--file", file]);
        filters.push(filter);
        return { kind: "libvirt-network", network: params.network, filter, ...(variant.withIp && { ip: "10.215.0.200".replace(/^10\.215\.\d+/, network.gateway.replace(/\.1$/, "")) }) };
      }),
    );
    for (let round = 0; round < rounds; round++) {
      for (const [index, variant] of variants.entries()) {
        const name = `rfnetcost-${id}-${round}-${index}`;
        const disk = join(dir, `${name}.qcow2`);
        await hv.createOverlay(manifest.artifacts.base.path, disk);
        const spec: DomainSpec = {
          name, vcpus: 1, memoryMiB: 256, disk, boot: { kind: "disk" }, fwCfg: [], network: attachments[index]!,
          serialLog: join(dir, `${name}.log`), metadata: { pool: "netcost", createdAt: new Date().toISOString() },
        };
        await hv.defineDomain(spec);
        const entry = samples.get(variant.label) ?? { start: [], destroy: [] };
        let t = performance.now();
        await hv.startDomain(name);
        entry.start.push(performance.now() - t);
        t = performance.now();
        await hv.destroyDomain(name);
        entry.destroy.push(performance.now() - t);
        samples.set(variant.label, entry);
        await hv.undefineDomain(name);
        await hv.removeOverlay(disk);
      }
    }
  } finally {
    for (const domain of await hv.listDomains(`rfnetcost-${id}-`)) await hv.removeDomain(domain.name).catch(() => undefined);
    for (const filter of filters) await virsh.run(["nwfilter-undefine", "--nwfilter", filter]).catch(() => undefined);
    await network.close();
    await rm(dir, { recursive: true, force: true });
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`virsh start / destroy, median of ${rounds} interleaved rounds (ms)`);
  for (const [label, { start, destroy }] of samples) {
    console.log(`  ${label.padEnd(34)} start ${median(start).toFixed(0).padStart(5)}   destroy ${median(destroy).toFixed(0).padStart(5)}`);
  }
}

await main();
