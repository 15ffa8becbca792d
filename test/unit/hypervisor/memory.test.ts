/**
 * The in-memory hypervisor against the shared contract, plus what only the double has: its
 * pluggable guest behaviours.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryHypervisor } from "../../../runtime/hypervisor/memory/memory-hypervisor.ts";
import {
  neverBoots,
  powersOffAfter,
  runsGuestAgent,
  waitsUntilDestroyed,
  type GuestBehaviour,
} from "../../../runtime/hypervisor/memory/guest-behaviours.ts";
import type { DomainSpec, HypervisorEvent } from "../../../runtime/ports/hypervisor.ts";
import { describeHypervisorContract } from "../../contract/hypervisor.contract.ts";

describeHypervisorContract("in-memory", async () => {
  const dir = await mkdtemp(join(tmpdir(), "rf-memhv-"));
  const baseImage = join(dir, "base.qcow2");
  const kernel = join(dir, "vmlinux");
  const initrd = join(dir, "initrd.img");
  for (const file of [baseImage, kernel, initrd]) await writeFile(file, "stand-in");
  const agent = runsGuestAgent({ backoff: { retries: 2, initialDelayMs: 10, maxDelayMs: 20 } });
  // Like the real environment: a disk boot stays up (no bootloader), the kernel boot is the lab image.
  const guest: GuestBehaviour = (ctx) => (ctx.spec.boot.kind === "disk" ? waitsUntilDestroyed(ctx) : agent(ctx));
  const hypervisor = createMemoryHypervisor({ guest });
  return {
    hypervisor,
    prefix: "rfct-",
    dir,
    baseImage,
    bootStaysUp: { kind: "disk" },
    bootRunsAgent: { kind: "kernel", kernel, initrd, cmdline: "console=ttyS0" },
    // The in-process agent dials the server directly: there is no network to filter.
    network: { kind: "libvirt-network", network: "rfct-memory" },
    serverHost: "127.0.0.1",
    allowServerPort: async () => undefined,
    guestLifeMs: 5_000,
    cleanup: async () => {
      for (const domain of await hypervisor.listDomains("")) {
        await hypervisor.destroyDomain(domain.name);
        await hypervisor.undefineDomain(domain.name);
      }
      await hypervisor.settled();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe("in-memory hypervisor guest behaviours", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function specIn(name: string): Promise<DomainSpec> {
    dir ??= await mkdtemp(join(tmpdir(), "rf-memhv-"));
    const disk = join(dir, `${name}.img`);
    await writeFile(disk, "disk");
    return {
      name,
      vcpus: 1,
      memoryMiB: 256,
      disk,
      boot: { kind: "disk" },
      fwCfg: [],
      network: { kind: "libvirt-network", network: "default" },
      serialLog: join(dir, `${name}.log`),
      metadata: { pool: "p", createdAt: "2026-01-01T00:00:00.000Z" },
    };
  }

  it("powersOffAfter: the guest powers off on its own, reported by state and event", async () => {
    const hv = createMemoryHypervisor({ guest: powersOffAfter(30) });
    const events: HypervisorEvent[] = [];
    hv.watch((e) => events.push(e));
    await hv.defineDomain(await specIn("short"));
    await hv.startDomain("short");
    expect((await hv.listDomains("short"))[0]?.state).toBe("running");
    await hv.settled();
    expect((await hv.listDomains("short"))[0]?.state).toBe("shutoff");
    expect(events).toEqual([
      { kind: "lifecycle", domain: "short", state: "running" },
      { kind: "lifecycle", domain: "short", state: "shutoff" },
    ]);
  });

  it("neverBoots: runs silently until destroyed", async () => {
    const hv = createMemoryHypervisor({ guest: neverBoots });
    await hv.defineDomain(await specIn("hang"));
    await hv.startDomain("hang");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await hv.listDomains("hang"))[0]?.state).toBe("running");
    await hv.destroyDomain("hang");
    await hv.settled();
    expect((await hv.listDomains("hang"))[0]?.state).toBe("shutoff");
    expect(await readFile(join(dir!, "hang.log"), "utf8")).toBe("");
  });

  it("a late poweroff of an earlier boot does not stop the next one", async () => {
    const lives: ((value: void) => void)[] = [];
    const hv = createMemoryHypervisor({ guest: () => new Promise<void>((resolve) => lives.push(resolve)) });
    await hv.defineDomain(await specIn("again"));
    await hv.startDomain("again");
    await hv.destroyDomain("again");
    await hv.startDomain("again");
    lives[0]!(); // the first boot's guest "powers off" after it was destroyed
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await hv.listDomains("again"))[0]?.state).toBe("running");
    lives[1]!();
    await hv.settled();
    expect((await hv.listDomains("again"))[0]?.state).toBe("shutoff");
  });

  it("a guest that throws crashes into shutoff and says why on its console", async () => {
    const hv = createMemoryHypervisor({
      guest: async () => {
        throw new Error("kernel panic");
      },
    });
    await hv.defineDomain(await specIn("boom"));
    await hv.startDomain("boom");
    await hv.settled();
    expect((await hv.listDomains("boom"))[0]?.state).toBe("shutoff");
    expect(await readFile(join(dir!, "boom.log"), "utf8")).toContain("guest crashed: kernel panic");
  });

  it("runsGuestAgent without a JIT config prints why and powers off at once", async () => {
    const hv = createMemoryHypervisor({ guest: runsGuestAgent() });
    await hv.defineDomain(await specIn("bare"));
    await hv.startDomain("bare");
    await hv.settled();
    expect((await hv.listDomains("bare"))[0]?.state).toBe("shutoff");
    expect(await readFile(join(dir!, "bare.log"), "utf8")).toMatch(/^runner-fleet-init: no JIT config in fw_cfg opt\/runner-fleet\/jitconfig/);
  });
});
