/**
 * The production network kind on a real libvirtd: a `libvirt-network` attachment with an
 * nwfilter. A transient isolated network (no NAT, no ip_forward change) is created for the run
 * and destroyed afterwards, which also removes the iptables rules libvirt added for it. The lab
 * guest must get a DHCP lease (`rf.net=dhcp`), then power off for want of a JIT config.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createLibvirtHypervisor } from "../../../runtime/hypervisor/libvirt/libvirt-hypervisor.ts";
import { createVirsh } from "../../../runtime/hypervisor/libvirt/virsh.ts";
import type { Hypervisor } from "../../../runtime/ports/hypervisor.ts";
import { waitFor } from "../../contract/hypervisor.contract.ts";
import { ensureLabImage, describeWithLibvirt, libvirtUri, type LabImage } from "../../support/lab-image.ts";


await describeWithLibvirt("a lab VM on a libvirt network with an nwfilter", () => {
  const id = randomBytes(2).toString("hex");
  const network = `rfct-net-${id}`;
  const name = `rfct-${id}-netvm`;
  const virsh = createVirsh({ uri: libvirtUri });
  let image: LabImage;
  let hv: Hypervisor;
  let dir: string;

  beforeAll(async () => {
    image = await ensureLabImage();
    hv = createLibvirtHypervisor({ uri: libvirtUri });
    dir = await mkdtemp(join(tmpdir(), "rf-libvirt-net-"));
    await chmod(dir, 0o755);
    const subnet = 100 + (Number.parseInt(id, 16) % 100);
    await writeFile(
      join(dir, "network.xml"),
      `<network><name>${network}</name><bridge name='rfct${id}' stp='off'/>` +
        `<ip address='192.168.${subnet}.1' netmask='255.255.255.0'><dhcp><range start='192.168.${subnet}.10' end='192.168.${subnet}.50'/></dhcp></ip></network>`,
    );
    await virsh.run(["net-create", "--file", join(dir, "network.xml")]);
  });

  afterAll(async () => {
    await hv?.destroyDomain(name).catch(() => undefined);
    await hv?.undefineDomain(name).catch(() => undefined);
    await virsh.run(["net-destroy", "--network", network]).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("gets a DHCP lease through the filtered interface and powers off", async () => {
    const disk = join(dir, `${name}.qcow2`);
    await hv.createOverlay(image.base, disk);
    const serialLog = join(dir, `${name}.log`);
    await hv.defineDomain({
      name,
      vcpus: 1,
      memoryMiB: 512,
      disk,
      boot: { kind: "kernel", kernel: image.kernel, initrd: image.initrd, cmdline: image.manifest.cmdlineDhcp as string },
      fwCfg: [],
      // clean-traffic ships with libvirt: no MAC/IP spoofing, no ARP games.
      network: { kind: "libvirt-network", network, filter: "clean-traffic" },
      serialLog,
      metadata: { pool: "small", createdAt: new Date().toISOString() },
    });
    const xml = await virsh.run(["dumpxml", "--domain", name]);
    expect(xml).toContain(`<source network='${network}'/>`);
    expect(xml).toContain("<filterref filter='clean-traffic'/>");
    const mac = /<mac address='([0-9a-f:]+)'\/>/.exec(xml)?.[1];
    expect(mac).toBeDefined();

    await hv.startDomain(name);
    await waitFor(async () => (await hv.listDomains(name))[0]?.state === "shutoff", 120_000, "the guest to power off");
    const console = await readFile(serialLog, "utf8");
    expect(console).not.toContain("no DHCP lease");
    expect(console).toContain("no JIT config in fw_cfg");
    expect(await virsh.run(["net-dhcp-leases", "--network", network])).toContain(mac);
  });
});
