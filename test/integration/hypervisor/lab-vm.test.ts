/**
 * One job's life in a real VM, the way the controller drives it: overlay on the lab image, the
 * JIT config handed over through a 0600 fw_cfg file (deleted as soon as the domain started),
 * boot under TCG on the lab's filtered libvirt network, the guest agent reaching the real
 * emulator's runner listener on the network's gateway, one job, poweroff,
 * teardown. Phase times are printed for the record; nothing here asserts on speed.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseConsole } from "../../../runtime/controller/console-marks.ts";
import type { Emulator } from "../../../runtime/emulator/server.ts";
import { checked } from "../../support/checked-emulator.ts";
import { startLabGitHub, type LabGitHub } from "../../../runtime/lab/lab-emulator.ts";
import { jitConfigFwCfgName } from "../../../runtime/protocol/fw-cfg.ts";
import { createLibvirtHypervisor } from "../../../runtime/hypervisor/libvirt/libvirt-hypervisor.ts";
import { createVirsh } from "../../../runtime/hypervisor/libvirt/virsh.ts";
import { parseDacLabel } from "../../../runtime/hypervisor/libvirt/virsh-output.ts";
import type { Hypervisor } from "../../../runtime/ports/hypervisor.ts";
import { waitFor } from "../../contract/hypervisor.contract.ts";
import { ensureLabImage, describeWithLibvirt, libvirtUri, type LabImage } from "../../support/lab-image.ts";

const adminToken = "pat_lab_vm_tests_0123456789abcdef";

await describeWithLibvirt("a lab VM runs one job", () => {
  let image: LabImage;
  let emulator: Emulator;
  let lab: LabGitHub;
  let hv: Hypervisor;
  let dir: string;
  const prefix = `rfvm-${randomBytes(3).toString("hex")}-`;

  beforeAll(async () => {
    image = await ensureLabImage();
    // JIT configs name the runner listener on the lab network's gateway: what the guest dials.
    lab = await startLabGitHub({ driver: "libvirt", uri: libvirtUri, emulator: checked({ staticTokens: [adminToken] }) });
    emulator = lab.emulator;
    hv = createLibvirtHypervisor({ uri: libvirtUri });
    dir = await mkdtemp(join(tmpdir(), "rf-labvm-"));
    await chmod(dir, 0o755);
  });

  afterAll(async () => {
    for (const domain of (await hv?.listDomains(prefix)) ?? []) {
      await hv.destroyDomain(domain.name).catch(() => undefined);
      await hv.undefineDomain(domain.name).catch(() => undefined);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
    await lab?.close();
  });

  it("boots, takes the job from the runner listener, runs it isolated and unprivileged, and powers off", async () => {
    const name = `${prefix}small-1`;
    const t = { start: performance.now() } as Record<string, number>;
    const mark = (phase: string) => (t[phase] = performance.now());

    const response = await fetch(`${emulator.url}/orgs/acme/actions/runners/generate-jitconfig`, {
      method: "POST",
      headers: { authorization: `token ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name, runner_group_id: 1, labels: ["lab-vm"], work_folder: "_work" }),
    });
    expect(response.status).toBe(201);
    const { encoded_jit_config: jitConfig } = (await response.json()) as { encoded_jit_config: string };
    const { jobId } = emulator.enqueueJob({
      repository: "acme/app",
      labels: ["lab-vm"],
      jobName: "checks",
      steps: [
        { name: "who", run: "id -un; uname -r" },
        // The JIT config stays root's: the job (as `runner`) cannot read it back from fw_cfg.
        { name: "secret", run: `if cat /sys/firmware/qemu_fw_cfg/by_name/${jitConfigFwCfgName}/raw >/dev/null 2>&1; then echo readable; exit 1; fi; echo unreadable` },
        // The filter: the host's other ports are out of reach (the full set of probes: libvirt-network.test.ts).
        { name: "isolated", run: `if busybox nc -w 2 ${lab.labNetwork!.gateway} 22 </dev/null 2>/dev/null; then echo reached; exit 1; fi; echo isolated` },
      ],
    });

    const overlayDir = join(dir, "overlays");
    await mkdir(overlayDir, { mode: 0o755 });
    const overlay = join(overlayDir, `${name}.qcow2`);
    await hv.createOverlay(image.base, overlay);
    mark("overlay");

    const secret = join(dir, `${name}.jit`);
    await writeFile(secret, jitConfig, { mode: 0o600 });
    await hv.shareSecretFile(secret);
    const qemuUser = parseDacLabel(await createVirsh({ uri: libvirtUri }).run(["capabilities"]), "qemu");
    const secretInfo = await stat(secret);
    expect(secretInfo.mode & 0o777).toBe(0o600);
    if (qemuUser) expect([secretInfo.uid, secretInfo.gid]).toEqual([qemuUser.uid, qemuUser.gid]);

    const serialLog = join(dir, `${name}.log`);
    await hv.defineDomain({
      name,
      vcpus: 1,
      memoryMiB: 1024,
      disk: overlay,
      boot: { kind: "kernel", kernel: image.kernel, initrd: image.initrd, cmdline: image.cmdline },
      fwCfg: [{ name: jitConfigFwCfgName, file: secret }],
      network: lab.network,
      serialLog,
      metadata: { pool: "small", createdAt: new Date().toISOString() },
    });
    mark("defined");
    await hv.startDomain(name);
    mark("started");
    await rm(secret);

    await waitFor(async () => parseConsole(await readFile(serialLog, "utf8").catch(() => "")).listening, 120_000, "the runner to listen");
    mark("listening");
    await waitFor(async () => (await hv.listDomains(name))[0]?.state === "shutoff", 180_000, "the guest to power off");
    mark("poweredOff");

    const job = emulator.job(jobId)!;
    expect(job.conclusion).toBe("success");
    expect(job.runnerName).toBe(name);
    const kernelRelease = (image.manifest.kernel as { release: string }).release;
    expect(job.steps.map((s) => s.log.trim())).toEqual([`runner\n${kernelRelease}`, "unreadable", "isolated"]);
    const console = await readFile(serialLog, "utf8");
    expect(parseConsole(console)).toEqual({ listening: true, runningJob: "checks", result: "Succeeded" });
    expect(console).toContain("runner exited with 0; powering off");
    expect(console).not.toContain(jitConfig);
    // The serial log (job names, results) is written by virtlogd for root only.
    expect((await stat(serialLog)).mode & 0o077).toBe(0);

    await hv.undefineDomain(name);
    await hv.removeOverlay(overlay);
    mark("tornDown");
    expect(await hv.listDomains(prefix)).toEqual([]);
    expect(await hv.listOverlays(overlayDir, prefix)).toEqual([]);

    const phases = ["overlay", "defined", "started", "listening", "poweredOff", "tornDown"];
    const report = phases.map((p, i) => `${p} +${((t[p]! - t[i === 0 ? "start" : phases[i - 1]!]!) / 1000).toFixed(2)}s`).join(", ");
    process.stdout.write(`lab VM phases: ${report}; start→poweroff ${((t.poweredOff! - t.defined!) / 1000).toFixed(2)}s\n`);
  });
});
