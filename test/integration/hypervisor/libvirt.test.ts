/**
 * The libvirt adapter against the shared contract: a real libvirtd (qemu:///system), QEMU under
 * TCG, the real lab image booted by direct kernel boot. Every domain and overlay carries a
 * per-run prefix and is removed afterwards, also when tests fail.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLibvirtHypervisor } from "../../../runtime/hypervisor/libvirt/libvirt-hypervisor.ts";
import { startLabNetwork } from "../../../runtime/lab/lab-network.ts";
import { describeHypervisorContract } from "../../contract/hypervisor.contract.ts";
import { describeWithLibvirt, ensureLabImage, libvirtUri } from "../../support/lab-image.ts";

await describeWithLibvirt("libvirt adapter", () => {
  describeHypervisorContract("libvirt", async () => {
    const image = await ensureLabImage();
    const prefix = `rfct-${randomBytes(3).toString("hex")}-`;
    const dir = await mkdtemp(join(tmpdir(), "rf-libvirt-"));
    // QEMU runs as its own user and must be able to reach the overlays in here.
    await chmod(dir, 0o755);
    const hypervisor = createLibvirtHypervisor({ uri: libvirtUri });
    const network = await startLabNetwork({ uri: libvirtUri });
    return {
      hypervisor,
      prefix,
      dir,
      baseImage: image.base,
      // No bootloader on the base image: SeaBIOS finds nothing to boot and retries forever.
      bootStaysUp: { kind: "disk" },
      bootRunsAgent: { kind: "kernel", kernel: image.kernel, initrd: image.initrd, cmdline: image.cmdline },
      guestLifeMs: 120_000,
      network: network.attachment,
      serverHost: network.gateway,
      allowServerPort: (port) => network.allowGatewayPorts([port]),
      cleanup: async () => {
        for (const domain of await hypervisor.listDomains(prefix)) {
          await hypervisor.destroyDomain(domain.name).catch(() => undefined);
          await hypervisor.undefineDomain(domain.name).catch(() => undefined);
        }
        await network.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
});
