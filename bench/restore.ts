/**
 * The restore benchmark: pickup with NO idle VM, where the job arrives and the controller
 * restores a VM from the pool's snapshot (pool `start: restore`, min 0, a 512 MiB guest), against
 * the target p95 ≤ 2.0 s; beside it the snapshot's make and size, the restore itself (virsh
 * restore from a per-VM copy of the state file, then define) and the overlay clone on the
 * snapshot's disk, measured through the hypervisor port.
 */
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseControllerConfig } from "../runtime/config/controller-config.ts";
import { snapshotPaths, snapshotsDir, type SnapshotManifest } from "../runtime/controller/snapshot-store.ts";
import { hypervisorFor } from "../runtime/hypervisor/from-config.ts";
import { fetchMetrics, spawnController, stopController, waitFor } from "../runtime/lab/controller-process.ts";
import { labLabels } from "../runtime/lab/lab-config.ts";
import { benchLabConfig } from "./fleet-scenario.ts";
import { startLabGitHub } from "../runtime/lab/lab-emulator.ts";
import { jobPickup } from "../runtime/lab/job-pickup.ts";
import { readGuestImage } from "../runtime/lab/prerequisites.ts";
import { percentile } from "../runtime/observability/percentiles.ts";

const targetP95Ms = 2_000;
const memoryMiB = 512;

export interface RestoreBench {
  pickupsMs: number[];
  manifest: SnapshotManifest;
  restoreMs: number[];
  cloneMs: number[];
  fallbacks: number;
}

export async function benchRestore(options: { imageDir: string; jobs: number; say: (line: string) => void }): Promise<RestoreBench> {
  const dir = await mkdtemp(join(tmpdir(), "rf-bench-restore-"));
  await chmod(dir, 0o711);
  const github = await startLabGitHub({ driver: "libvirt" });
  let child: Awaited<ReturnType<typeof spawnController>>["child"] | undefined;
  try {
    const lab = benchLabConfig("libvirt", github, await readGuestImage(options.imageDir), dir);
    const pools = lab.pools!.map((p) => ({ ...p, min: 0, max: 2, memoryMiB, start: "restore" as const }));
    const config = parseControllerConfig({ ...lab, host: { name: "benchrestore", vcpus: 4, memoryMiB: 4096 }, pools });
    const file = join(dir, "controller.json");
    await writeFile(file, JSON.stringify(config), { mode: 0o600 });
    // The shipped bundle beside dist/bench.cjs (or dist/ when run from the sources).
    const bundle = process.argv[1]!.endsWith(".cjs") ? join(dirname(process.argv[1]!), "fleet.cjs") : resolve("dist/fleet.cjs");
    const controller = await spawnController([process.execPath, bundle], file, join(dir, "controller.log"));
    child = controller.child;
    github.emulator.addWebhook(`${controller.url}/webhook`, config.webhook!.secret);

    options.say(`restore phase: the pool's snapshot (${memoryMiB} MiB guest), then ${options.jobs} jobs one at a time, no idle VM`);
    const root = snapshotsDir(config.paths.state);
    let key: string | undefined;
    await waitFor("the pool's snapshot", 300_000, async () => {
      key = (await readdir(root).catch(() => [] as string[])).find((e) => !e.includes("."));
      return key !== undefined && (await readFile(join(root, key, "manifest.json"), "utf8").then(() => true, () => false));
    });
    const snapshot = snapshotPaths(config.paths.state, key!);
    const manifest = JSON.parse(await readFile(join(snapshot.dir, "manifest.json"), "utf8")) as SnapshotManifest;

    const pickupsMs: number[] = [];
    for (let i = 0; i < options.jobs; i++) {
      const event = { name: "pull_request", sender: { login: "octocat", type: "User" as const }, pullRequest: { number: i + 1, authorAssociation: "MEMBER" as const } };
      const { jobId } = github.emulator.enqueueJob({ repository: "acme/app", labels: labLabels, jobName: `restore-${i + 1}`, steps: [{ name: "work", run: "echo restored" }], event });
      await waitFor(`restore job ${i + 1}`, 300_000, async () => github.emulator.job(jobId)?.status === "completed");
      const pickup = jobPickup(github.emulator.github.state.jobs.get(jobId)!).firstStepMs;
      if (pickup !== undefined) pickupsMs.push(pickup);
    }
    const fallbacks = sumOf(await fetchMetrics(controller.url), "runner_fleet_restore_fallbacks_total");
    await stopController(controller.child, 120_000);
    child = undefined;

    // The restore and the clone on their own, through the hypervisor port, on the same snapshot.
    const hypervisor = hypervisorFor(config);
    const cloneMs: number[] = [];
    const restoreMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const overlay = join(dir, `clone-${i}.qcow2`);
      const started = performance.now();
      await hypervisor.createOverlay(snapshot.disk, overlay);
      cloneMs.push(performance.now() - started);
      if (i >= 3) continue;
      const name = `rf-benchrestore-solo-${i}`;
      const spec = {
        name,
        vcpus: 1,
        memoryMiB,
        disk: overlay,
        boot: config.image.boot,
        fwCfg: [],
        network: config.network,
        serialLog: join(dir, `${name}.log`),
        metadata: { pool: "lab", createdAt: new Date().toISOString() },
        jobChannel: join(dir, `${name}.sock`),
      };
      const restoreStarted = performance.now();
      await hypervisor.restoreDomain(snapshot.state, spec);
      restoreMs.push(performance.now() - restoreStarted);
      await hypervisor.removeDomain(name);
    }
    return { pickupsMs, manifest, restoreMs, cloneMs, fallbacks };
  } finally {
    if (child) await stopController(child, 60_000);
    await github.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Prints the section and returns the `--json` keys. */
export async function restoreSection(options: { imageDir: string; jobs: number; say: (line: string) => void; check: (name: string, ok: boolean) => string }): Promise<Record<string, unknown>> {
  const { say } = options;
  const r = await benchRestore(options);
  const p95 = percentile(r.pickupsMs, 95);
  const fmt = (v: number | undefined, unit: "s" | "ms") => (v === undefined ? "-" : unit === "s" ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);
  say("");
  say("restore: job queued → first step, no idle VM (the controller restores a VM from the pool's snapshot)");
  say(`  pickup (restore)                         p50 ${fmt(percentile(r.pickupsMs, 50), "s").padStart(9)}   p95 ${fmt(p95, "s").padStart(9)}   n=${r.pickupsMs.length}   target p95 ≤ 2.00 s: ${options.check("restore pickup", p95 !== undefined && p95 <= targetP95Ms && r.fallbacks === 0)}`);
  say(`  VMs that booted instead (fallbacks)      ${r.fallbacks}`);
  say(`  snapshot of a ${r.manifest.memoryMiB} MiB guest             state file ${(r.manifest.stateBytes / 1048576).toFixed(1)} MiB; template boot ${fmt(r.manifest.bootMs, "s")}, save ${fmt(r.manifest.saveMs, "ms")}`);
  say(`  restore (copy state, virsh restore, define) p50 ${fmt(percentile(r.restoreMs, 50), "ms")}   max ${fmt(Math.max(...r.restoreMs), "ms")}   n=${r.restoreMs.length}`);
  say(`  overlay clone on the snapshot's disk     p50 ${fmt(percentile(r.cloneMs, 50), "ms")}   max ${fmt(Math.max(...r.cloneMs), "ms")}   n=${r.cloneMs.length}`);
  const round2 = (v: number | undefined) => (v === undefined ? null : Number((v / 1000).toFixed(2)));
  return {
    pickup_restore_p95_s: round2(p95),
    restore_fallbacks: r.fallbacks,
    restore_512mib_ms: Math.round(percentile(r.restoreMs, 50) ?? 0),
    restore_state_file_mib: Number((r.manifest.stateBytes / 1048576).toFixed(1)),
    overlay_clone_ms: Number((percentile(r.cloneMs, 50) ?? 0).toFixed(1)),
  };
}

function sumOf(metrics: string, name: string): number {
  return metrics.split("\n").filter((l) => l.startsWith(name)).reduce((sum, l) => sum + Number(l.split(/\s+/).at(-1)), 0);
}
