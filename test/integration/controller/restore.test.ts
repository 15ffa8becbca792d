/**
 * Restoring runner VMs from a snapshot, on real VMs: the controller (its own process) makes the
 * pool's snapshot, restores one VM per job, and each restored guest becomes a VM of its own
 * before it takes its job. Few tests, each worth a VM boot under TCG.
 */
import { readdir, readFile, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { snapshotsDir, templatePrefix } from "../../../runtime/controller/snapshot-store.ts";
import { waitFor } from "../../../runtime/lab/controller-process.ts";
import { describeWithLibvirt } from "../../support/lab-image.ts";
import { metricValue, startLibvirtFleet, type LibvirtFleet } from "../../support/libvirt-fleet.ts";

let fleet: LibvirtFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

/** What each job prints about the guest it runs in (one line each, parsed below). */
const identitySteps = [
  {
    name: "identity",
    run: [
      "echo clock_ms=$(date +%s%3N)",
      "echo boot_id=$(cat /proc/sys/kernel/random/boot_id)",
      "echo machine_id=$(cat /etc/machine-id)",
      "echo mac=$(cat /sys/class/net/eth0/address)",
      "echo rng=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n')",
    ].join("; "),
  },
];

function parseIdentity(log: string): Record<string, string> {
  return Object.fromEntries([...log.matchAll(/^(boot_id|machine_id|mac|rng|clock_ms)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

async function readySnapshotDir(f: LibvirtFleet): Promise<string> {
  let found: string | undefined;
  await waitFor("the pool's snapshot", 240_000, async () => {
    for (const entry of await readdir(snapshotsDir(f.stateDir)).catch(() => [] as string[])) {
      if (await stat(join(snapshotsDir(f.stateDir), entry, "manifest.json")).then(() => true, () => false)) found = join(snapshotsDir(f.stateDir), entry);
    }
    return found !== undefined;
  });
  return found!;
}

async function jobLog(f: LibvirtFleet, jobId: number): Promise<string> {
  return (f.emulator.github.state.jobs.get(jobId)?.stepResults ?? []).map((s) => s.log).join("\n");
}

await describeWithLibvirt("restore from a snapshot", () => {
  it("restored guests serve their jobs, each with its own boot id, machine id, MAC and RNG; no JIT config in the snapshot or in argv", async () => {
    fleet = await startLibvirtFleet({ pool: { min: 0, max: 2, start: "restore" } });
    await fleet.start();
    const dir = await readySnapshotDir(fleet);
    const argvSeen: string[] = [];
    // Ephemeral runners leave the emulator's state when their job is done: collect them as they come.
    const credentials = new Set<string>();
    const sampler = setInterval(() => {
      for (const runner of fleet!.emulator.github.state.runners.values()) credentials.add(runner.clientId);
      void sampleArgv().then((lines) => argvSeen.push(...lines));
    }, 200);
    const jobs = fleet.enqueue(2, identitySteps);
    try {
      await fleet.waitForJobs(jobs, 180_000);
    } finally {
      clearInterval(sampler);
    }
    const metrics = await fleet.metrics();
    expect(metricValue(metrics, "runner_fleet_restore_fallbacks_total"), "no VM booted instead").toBe(0);

    const seen = await Promise.all(jobs.map(async (j) => parseIdentity(await jobLog(fleet!, j.jobId))));
    for (const [i, job] of jobs.entries()) expect(fleet.emulator.job(job.jobId)?.conclusion, `job ${i + 1}`).toBe("success");
    const [a, b] = seen as [Record<string, string>, Record<string, string>];
    for (const field of ["boot_id", "machine_id", "mac", "rng"]) {
      expect(a[field], `${field} of job 1`).toBeDefined();
      expect(a[field], `${field} differs between two restores of one snapshot`).not.toBe(b[field]);
    }
    // The clock was corrected: the guest's time when the step ran is close to the host's.
    for (const [i, s] of seen.entries()) {
      const skewMs = Number(s.clock_ms) - (fleet.emulator.github.state.jobs.get(jobs[i]!.jobId)?.stepResults[0]?.startedAt ?? 0);
      console.log(`restored guest ${i + 1}: clock vs the emulator's step start ${skewMs} ms`);
      expect(Math.abs(skewMs)).toBeLessThan(5_000);
    }

    // Every credential the emulator handed these runners: not in the saved state, nor in any argv.
    const secrets = [...credentials];
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    const state = await readFile(join(dir, "state"));
    for (const secret of secrets) {
      expect(state.includes(secret), "a runner credential in the snapshot's state file").toBe(false);
      expect(argvSeen.some((line) => line.includes(secret)), "a runner credential in a process's argv").toBe(false);
    }
    expect(argvSeen.length).toBeGreaterThan(0);
    await nothingLeft(fleet);
  });

  it("a restore that fails falls back to booting: the job is served, the fallback counted", async () => {
    fleet = await startLibvirtFleet({ pool: { min: 0, max: 1, start: "restore" } });
    await fleet.start();
    const dir = await readySnapshotDir(fleet);
    // A state file cut short: libvirt refuses it.
    await truncate(join(dir, "state"), 4096);
    const jobs = fleet.enqueue(1);
    await fleet.waitForJobs(jobs, 180_000);
    expect(fleet.emulator.job(jobs[0]!.jobId)?.conclusion).toBe("success");
    expect(metricValue(await fleet.metrics(), "runner_fleet_restore_fallbacks_total", { reason: "restore_failed" })).toBe(1);
    await nothingLeft(fleet);
  });

  it.each(["snapshot:saved", "restore:restored"])("a SIGKILL at %s leaks nothing, and the restarted controller serves the job", async (point) => {
    fleet = await startLibvirtFleet({ pool: { min: 0, max: 1, start: "restore" } });
    if (point === "restore:restored") {
      await fleet.start();
      await readySnapshotDir(fleet);
      await fleet.stop();
    }
    await fleet.start({ crashAt: point });
    const jobs = fleet.enqueue(1);
    expect(await fleet.waitForExit(240_000)).toBe("SIGKILL");
    await fleet.start();
    await fleet.waitForJobs(jobs, 240_000);
    expect(fleet.emulator.job(jobs[0]!.jobId)?.conclusion).toBe("success");
    await nothingLeft(fleet);
    // The restarted controller makes the snapshot again: once it is ready, no make is left over.
    await readySnapshotDir(fleet);
    const makings = (await readdir(snapshotsDir(fleet.stateDir))).filter((e) => e.includes(".making-") || e.endsWith(".restoring"));
    expect(makings).toEqual([]);
    const templates = await fleet.hypervisor.listDomains(templatePrefix(fleet.config.namePrefix, fleet.config.host.name));
    expect(templates).toEqual([]);
  });
});

async function nothingLeft(f: LibvirtFleet): Promise<void> {
  await waitFor("the job VMs' teardown", 60_000, async () => {
    const leaks = await f.leaks();
    return leaks.domains.length + leaks.overlays.length + leaks.runners.length + leaks.secrets.length === 0;
  });
}

/** Every process's argv on this machine, one line each. */
async function sampleArgv(): Promise<string[]> {
  const lines: string[] = [];
  for (const pid of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const argv = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (argv) lines.push(argv.replace(/\0/g, " "));
  }
  return lines;
}
