/**
 * Benchmark of the libvirt adapter and the lab image on this host: how long each Hypervisor
 * call takes (overlay, define, start, list, destroy, undefine, remove) and how long the lab
 * guest takes from start to poweroff when it has no JIT config (kernel, initramfs, root disk,
 * init, a static address on the lab's filtered network, as the controller gives it; the agent
 * is not started). Run as root with libvirtd up and the lab image built.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLibvirtHypervisor } from "../runtime/hypervisor/libvirt/libvirt-hypervisor.ts";
import { startLabNetwork } from "../runtime/lab/lab-network.ts";
import type { DomainSpec } from "../runtime/ports/hypervisor.ts";
import { guestNetworkCmdlineArg, guestNetworkConfig, planSubnet } from "../runtime/protocol/guest-network.ts";

export interface HypervisorBenchOptions {
  uri?: string;
  imageDir?: string;
  /** Rounds of the define → destroy cycle. */
  iterations?: number;
  /** Boots of the lab image to poweroff. */
  boots?: number;
}

export interface BenchRow {
  operation: string;
  runs: number;
  medianMs: number;
  maxMs: number;
}

export async function benchHypervisor(options: HypervisorBenchOptions = {}): Promise<BenchRow[]> {
  const uri = options.uri ?? "qemu:///system";
  const imageDir = options.imageDir ?? "/var/lib/runner-fleet/images/lab";
  const manifest = JSON.parse(await readFile(join(imageDir, "manifest.json"), "utf8")) as {
    cmdlineDhcp: string;
    artifacts: { base: { path: string }; vmlinux: { path: string }; initrd: { path: string } };
  };
  const hv = createLibvirtHypervisor({ uri });
  const prefix = `rfbench-${randomBytes(3).toString("hex")}-`;
  const dir = await mkdtemp(join(tmpdir(), "rf-bench-"));
  await chmod(dir, 0o755);
  const network = await startLabNetwork({ uri });
  const samples = new Map<string, number[]>();
  const timed = async <T>(operation: string, action: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await action();
    const list = samples.get(operation) ?? [];
    list.push(performance.now() - started);
    samples.set(operation, list);
    return result;
  };
  const spec = (name: string, boot: DomainSpec["boot"]): DomainSpec => ({
    name,
    vcpus: 1,
    memoryMiB: 512,
    disk: join(dir, `${name}.qcow2`),
    boot,
    fwCfg: [],
    network: network.attachment,
    serialLog: join(dir, `${name}.log`),
    metadata: { pool: "bench", createdAt: new Date().toISOString() },
  });

  try {
    await network.allowGatewayPorts([]);
    for (let i = 0; i < (options.iterations ?? 5); i += 1) {
      const name = `${prefix}cycle-${i}`;
      await timed("createOverlay", () => hv.createOverlay(manifest.artifacts.base.path, join(dir, `${name}.qcow2`)));
      // A disk boot of the lab disk: no bootloader, so the guest idles in the firmware.
      await timed("defineDomain", () => hv.defineDomain(spec(name, { kind: "disk" })));
      await timed("startDomain", () => hv.startDomain(name));
      await timed("listDomains", () => hv.listDomains(prefix));
      await timed("destroyDomain", () => hv.destroyDomain(name));
      await timed("undefineDomain", () => hv.undefineDomain(name));
      await timed("removeOverlay", () => hv.removeOverlay(join(dir, `${name}.qcow2`)));
    }
    for (let i = 0; i < (options.boots ?? 3); i += 1) {
      const name = `${prefix}boot-${i}`;
      await hv.createOverlay(manifest.artifacts.base.path, join(dir, `${name}.qcow2`));
      const net = guestNetworkConfig(network.subnet, planSubnet(network.subnet).staticStart);
      const cmdline = `${manifest.cmdlineDhcp} ${guestNetworkCmdlineArg(net)}`;
      const boot = { kind: "kernel" as const, kernel: manifest.artifacts.vmlinux.path, initrd: manifest.artifacts.initrd.path, cmdline };
      await hv.defineDomain({ ...spec(name, boot), network: { ...network.attachment, ip: net.address } });
      await timed("start → poweroff, lab image, no JIT config", async () => {
        await hv.startDomain(name);
        while ((await hv.listDomains(name))[0]?.state === "running") await new Promise((resolve) => setTimeout(resolve, 50));
      });
      await hv.undefineDomain(name);
      await hv.removeOverlay(join(dir, `${name}.qcow2`));
    }
  } finally {
    for (const domain of await hv.listDomains(prefix)) {
      await hv.destroyDomain(domain.name).catch(() => undefined);
      await hv.undefineDomain(domain.name).catch(() => undefined);
    }
    await network.close();
    await rm(dir, { recursive: true, force: true });
  }

  return [...samples].map(([operation, values]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      operation,
      runs: sorted.length,
      medianMs: Math.round(sorted[Math.floor(sorted.length / 2)]!),
      maxMs: Math.round(sorted.at(-1)!),
    };
  });
}
