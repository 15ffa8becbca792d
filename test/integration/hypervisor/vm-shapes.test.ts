/**
 * Pool shapes and arm64 on real VMs: the shape the controller derives from a pool's config
 * (`shapeSpecFor`, with this machine's real facts) is what the guest sees, and an arm64 pool's
 * guest runs emulated on this x86_64 machine and says `aarch64`. One job per VM through the real
 * emulator's runner listener, as in lab-vm.test.ts. Times are printed (the arm64 one is slow under
 * TCG: minutes); nothing asserts on speed.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseControllerConfig, type PoolConfig } from "../../../runtime/config/controller-config.ts";
import { parseConsole } from "../../../runtime/controller/console-marks.ts";
import { shapeSpecFor } from "../../../runtime/controller/vm-shape.ts";
import { sysfsFacts } from "../../../runtime/facts/sysfs-facts.ts";
import { createLibvirtHypervisor } from "../../../runtime/hypervisor/libvirt/libvirt-hypervisor.ts";
import { createVirsh } from "../../../runtime/hypervisor/libvirt/virsh.ts";
import { startLabGitHub, type LabGitHub } from "../../../runtime/lab/lab-emulator.ts";
import type { HostFacts } from "../../../runtime/ports/host-facts.ts";
import type { Hypervisor } from "../../../runtime/ports/hypervisor.ts";
import { jitConfigFwCfgName } from "../../../runtime/protocol/fw-cfg.ts";
import { waitFor } from "../../contract/hypervisor.contract.ts";
import { checked } from "../../support/checked-emulator.ts";
import { describeWithLibvirt, ensureLabImage, libvirtUri, type LabImage } from "../../support/lab-image.ts";

const adminToken = "pat_vm_shape_tests_0123456789abcdef";

await describeWithLibvirt("VM shapes and arm64 guests on real VMs", () => {
  let lab: LabGitHub;
  let hv: Hypervisor;
  let dir: string;
  let facts: HostFacts;
  const prefix = `rfshape-${randomBytes(3).toString("hex")}-`;
  const config = parseControllerConfig({
    host: { name: "h1", vcpus: 2, memoryMiB: 4096 },
    github: { scope: { kind: "org", org: "acme" }, repositories: ["acme/app"], runnerGroupId: 1, auth: { kind: "token", token: "x".repeat(40) } },
    pools: [
      { name: "shaped", labels: ["shaped"], min: 0, max: 1, vcpus: 2, memoryMiB: 1536, diskGiB: 6, cpuPinning: { cores: [0, 1] } },
      { name: "arm", labels: ["arm"], min: 0, max: 1, vcpus: 1, memoryMiB: 1024, arch: "arm64" },
    ],
    image: { base: "/unused", boot: { kind: "disk" } },
    network: { kind: "libvirt-network", network: "unused" },
  });
  const pool = (name: string): PoolConfig => config.pools.find((p) => p.name === name)!;

  beforeAll(async () => {
    lab = await startLabGitHub({ driver: "libvirt", uri: libvirtUri, emulator: checked({ staticTokens: [adminToken] }) });
    hv = createLibvirtHypervisor({ uri: libvirtUri });
    dir = await mkdtemp(join(tmpdir(), "rf-shapes-"));
    await chmod(dir, 0o755);
    await mkdir(join(dir, "overlays"), { mode: 0o755 });
    facts = await sysfsFacts("/").read();
  });

  afterAll(async () => {
    for (const domain of (await hv?.listDomains(prefix)) ?? []) await hv.removeDomain(domain.name).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
    await lab?.close();
  });

  /** One job in a VM of `pool`, shaped as the controller would shape it; the job's step logs. */
  async function runJob(image: LabImage, poolName: string, steps: { name: string; run: string }[], placement?: { cores: number[] }) {
    // Each pool on this 2-core machine alone: the shaped pool pins both cores, which would leave
    // the arm pool none (the controller refuses that combination at start).
    const alone = { ...config, pools: [pool(poolName)] };
    const name = `${prefix}${poolName}`;
    const started = performance.now();
    const response = await fetch(`${lab.emulator.url}/orgs/acme/actions/runners/generate-jitconfig`, {
      method: "POST",
      headers: { authorization: `token ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name, runner_group_id: 1, labels: [poolName], work_folder: "_work" }),
    });
    expect(response.status).toBe(201);
    const { encoded_jit_config: jitConfig } = (await response.json()) as { encoded_jit_config: string };
    const { jobId } = lab.emulator.enqueueJob({ repository: "acme/app", labels: [poolName], jobName: poolName, steps });
    const overlay = join(dir, "overlays", `${name}.qcow2`);
    await hv.createOverlay(image.base, overlay, { sizeGiB: pool(poolName).diskGiB });
    const secret = join(dir, `${name}.jit`);
    await writeFile(secret, jitConfig, { mode: 0o600 });
    await hv.shareSecretFile(secret);
    const serialLog = join(dir, `${name}.log`);
    const shape = shapeSpecFor(alone, pool(poolName), facts, placement);
    await hv.defineDomain({
      name,
      vcpus: pool(poolName).vcpus,
      memoryMiB: pool(poolName).memoryMiB,
      disk: overlay,
      boot: { kind: "kernel", kernel: image.kernel, initrd: image.initrd, cmdline: image.cmdline },
      fwCfg: [{ name: jitConfigFwCfgName, file: secret }],
      network: lab.network,
      serialLog,
      metadata: { pool: poolName, createdAt: new Date().toISOString() },
      ...(shape ? { shape } : {}),
    });
    await hv.startDomain(name);
    await rm(secret);
    const virsh = createVirsh({ uri: libvirtUri });
    const affinity = await virsh.run(["vcpupin", "--domain", name]);
    await waitFor(async () => (await hv.listDomains(name))[0]?.state === "shutoff", 900_000, "the guest to power off");
    const seconds = (performance.now() - started) / 1000;
    const job = lab.emulator.job(jobId)!;
    const console = await readFile(serialLog, "utf8");
    expect(job.conclusion, console.slice(-3000)).toBe("success");
    expect(parseConsole(console)).toMatchObject({ listening: true, result: "Succeeded" });
    await hv.removeDomain(name);
    await hv.removeOverlay(overlay);
    return { logs: job.steps.map((s) => s.log.trim()), seconds, affinity };
  }

  it("a shaped pool: the guest sees its 2 vCPUs, 1536 MiB and a 6 GiB disk; its vCPUs run on their pinned cores", async () => {
    const image = await ensureLabImage();
    const { logs, seconds, affinity } = await runJob(
      image,
      "shaped",
      [
        { name: "cpus", run: "nproc" },
        { name: "memory", run: "awk '/^MemTotal:/ { print $2 }' /proc/meminfo" },
        { name: "disk", run: "cat /sys/block/vda/size" },
      ],
      { cores: [1, 0] },
    );
    expect(logs[0]).toBe("2");
    // The kernel keeps a little for itself: MemTotal is somewhat below what the VM has.
    const memTotalMiB = Number(logs[1]) / 1024;
    expect(memTotalMiB).toBeGreaterThan(1536 * 0.9);
    expect(memTotalMiB).toBeLessThanOrEqual(1536);
    expect(Number(logs[2]) * 512).toBe(6 * 1024 ** 3);
    // virsh vcpupin: vCPU 0 on core 1, vCPU 1 on core 0, as placed.
    expect(affinity.replace(/\s+/g, " ")).toMatch(/0 1 1 0/);
    process.stdout.write(`shaped VM: start → poweroff ${seconds.toFixed(1)} s; guest saw ${logs.join(", ")}\n`);
  });

  it("an arm64 pool: its guest runs emulated and reports aarch64", async () => {
    const image = await ensureLabImage("arm64");
    const { logs, seconds } = await runJob(image, "arm", [{ name: "machine", run: "uname -m" }]);
    expect(logs).toEqual(["aarch64"]);
    process.stdout.write(`arm64 VM (TCG): start → poweroff ${seconds.toFixed(1)} s\n`);
  });
});
