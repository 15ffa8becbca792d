/**
 * Static guest addresses through the whole controller (memory hypervisor): each kernel-boot VM
 * gets its own address of the subnet's static half, on its command line and as its filter's IP,
 * recorded in its journal entry; a restarted controller reads them back and never repeats one.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { startController, type RunningController } from "../../../runtime/controller/daemon.ts";
import { stateDirs } from "../../../runtime/controller/naming.ts";
import type { VmRecord } from "../../../runtime/controller/vm-record.ts";
import type { GuestBehaviour } from "../../../runtime/hypervisor/memory/guest-behaviours.ts";
import type { DomainSpec } from "../../../runtime/ports/hypervisor.ts";
import { ipv4ToNumber, planSubnet } from "../../../runtime/protocol/guest-network.ts";
import { harnessLogger, startFleetHarness, until, type FleetHarness } from "../../support/fleet-harness.ts";

/** A static half of three addresses: three VMs take them all, a fourth must ask DHCP. */
const subnet = "10.77.0.8/29";
let harness: FleetHarness | undefined;
let restarted: RunningController | undefined;
let images: string | undefined;

afterEach(async () => {
  await restarted?.abandon();
  await harness?.close();
  if (images) await rm(images, { recursive: true, force: true });
  harness = restarted = images = undefined;
});

async function recordedAddresses(stateDir: string): Promise<Map<string, string | undefined>> {
  const dir = stateDirs(stateDir).records;
  const records = await Promise.all((await readdir(dir)).filter((f) => f.endsWith(".json")).map(async (f) => JSON.parse(await readFile(join(dir, f), "utf8")) as VmRecord));
  return new Map(records.map((r) => [r.name, r.address]));
}

it("gives each kernel-boot VM its own static address, recorded, and a restarted controller repeats none", async () => {
  const specs = new Map<string, DomainSpec>();
  const idles: GuestBehaviour = async (ctx) => {
    specs.set(ctx.spec.name, ctx.spec);
    await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
  };
  images = await mkdtemp(join(tmpdir(), "rf-static-"));
  const boot = { kind: "kernel" as const, kernel: join(images, "vmlinux"), initrd: join(images, "initrd"), cmdline: "console=ttyS0 rf.net=dhcp" };
  for (const file of [boot.kernel, boot.initrd, join(images, "base.qcow2")]) await writeFile(file, "stand-in");
  harness = await startFleetHarness({
    guest: idles,
    webhook: false,
    config: {
      image: { base: join(images, "base.qcow2"), boot },
      network: { kind: "libvirt-network", network: "runner-fleet", filter: "runner-fleet-guest", subnet },
      pools: [{ name: "small", labels: ["self-hosted"], min: 3, max: 3, vcpus: 1, memoryMiB: 512 }],
    },
  });
  const { stateDir, config, hypervisor } = harness;
  await until("three VMs", () => specs.size >= 3);
  await harness.controller.abandon();

  const plan = planSubnet(subnet);
  const check = (spec: DomainSpec) => {
    const ip = spec.network.ip!;
    expect(ipv4ToNumber(ip)).toBeGreaterThanOrEqual(ipv4ToNumber(plan.staticStart));
    expect(ipv4ToNumber(ip)).toBeLessThanOrEqual(ipv4ToNumber(plan.staticEnd));
    expect(spec.boot.kind === "kernel" && spec.boot.cmdline).toBe(`console=ttyS0 rf.net=dhcp rf.net=static:${ip}/29:10.77.0.9`);
    return ip;
  };
  const first = [...specs.values()];
  const firstIps = first.map(check);
  const recorded = await recordedAddresses(stateDir);
  for (const spec of first) expect(recorded.get(spec.name)).toBe(spec.network.ip);
  expect(firstIps.sort()).toEqual(["10.77.0.12", "10.77.0.13", "10.77.0.14"]);

  // A restart with room for a fourth VM: the live VMs' addresses come from their records, so none
  // is left for it, and it boots with DHCP (no static argument, no IP for the filter to take).
  restarted = await startController({ config: { ...config, pools: [{ ...config.pools[0]!, min: 4, max: 4 }] }, logger: harnessLogger(), hypervisor });
  await until("a fourth VM", () => specs.size >= 4);
  const fourth = [...specs.values()].at(-1)!;
  expect(fourth.network.ip).toBeUndefined();
  expect(fourth.boot.kind === "kernel" && fourth.boot.cmdline).toBe("console=ttyS0 rf.net=dhcp");
  expect((await recordedAddresses(stateDir)).get(fourth.name)).toBeUndefined();
});
