/**
 * Snapshots to restore runner VMs from: per base image and VM shape, one guest is booted to the
 * point where its agent waits on the job channel, and its memory and device state is saved
 * (`virsh save`) beside the disk overlay it belongs to. Each job then restores its own copy
 * (`restore-start.ts`) instead of booting.
 *
 *   <state>/snapshots/<key>/disk.qcow2    the saved guest's overlay (on the base image; read-only now)
 *   <state>/snapshots/<key>/state         its memory and device state
 *   <state>/snapshots/<key>/manifest.json written last: the snapshot is complete
 *
 * The key hashes everything the saved state depends on (snapshot-key.ts), so a new image, agent,
 * kernel, shape or renderer makes a new snapshot and the old one is stale (`fleet doctor`
 * removes it). A snapshot is made in `<key>.making-<random>` and renamed when complete; a crash
 * leaves that directory and the template domain (`templateName`), which `sweepSnapshots` removes.
 *
 * No secret is in a snapshot: the template guest gets no JIT config (no fw_cfg entry at all)
 * and is saved while it waits for one.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { PoolConfig } from "../config/controller-config.ts";
import { channelWaitingLine } from "../protocol/job-channel.ts";
import { writeFileAtomic } from "../storage/atomic-file.ts";
import type { ControllerContext } from "./context.ts";
import { crashPoint } from "./crash-points.ts";
import { domainSpecFor } from "./domain-spec.ts";
import { snapshotKey } from "./snapshot-key.ts";


export interface Snapshot {
  key: string;
  dir: string;
  state: string;
  disk: string;
}

export interface SnapshotManifest {
  key: string;
  createdAt: string;
  pool: string;
  vcpus: number;
  memoryMiB: number;
  base: string;
  stateBytes: number;
  /** Boot of the template to its waiting point, and the save, in ms. */
  bootMs: number;
  saveMs: number;
}

export function snapshotsDir(stateDir: string): string {
  return join(stateDir, "snapshots");
}

export function snapshotPaths(stateDir: string, key: string): Snapshot {
  const dir = join(snapshotsDir(stateDir), key);
  return { key, dir, state: join(dir, "state"), disk: join(dir, "disk.qcow2") };
}

/**
 * The template domains of one host: `<prefix>.<host>.snapshot-`. Dots: never inside the
 * controller's own `<prefix>-<host>-` VM names, so the loop never takes a template for a VM.
 */
export function templatePrefix(namePrefix: string, host: string): string {
  return `${namePrefix}.${host}.snapshot-`;
}

export function templateName(namePrefix: string, host: string, key: string): string {
  return `${templatePrefix(namePrefix, host)}${key.slice(0, 16)}`;
}

export function keyFor(ctx: Pick<ControllerContext, "config" | "hypervisor">, pool: PoolConfig): string {
  return snapshotKey({ image: ctx.config.image, vcpus: pool.vcpus, memoryMiB: pool.memoryMiB, hypervisor: ctx.hypervisor.snapshotCompatibility });
}

/**
 * Whether the pool's VMs restore: `start` absent or `restore`, on libvirt. The in-memory
 * hypervisor's guests (the lab's and the tests' stand-ins) do not act on the restore messages,
 * so there every pool boots.
 */
export function restores(ctx: Pick<ControllerContext, "config">, pool: PoolConfig): boolean {
  return pool.start !== "boot" && ctx.config.hypervisor.driver === "libvirt";
}

/** The keys of every pool that restores: the snapshots this config wants. */
export function wantedKeys(ctx: Pick<ControllerContext, "config" | "hypervisor">): Set<string> {
  return new Set(ctx.config.pools.filter((p) => restores(ctx, p)).map((p) => keyFor(ctx, p)));
}

/** The pool's snapshot if it is complete. */
export async function readySnapshot(ctx: ControllerContext, pool: PoolConfig): Promise<Snapshot | undefined> {
  const snapshot = snapshotPaths(ctx.config.paths.state, keyFor(ctx, pool));
  const complete = await stat(join(snapshot.dir, "manifest.json")).then(() => true, () => false);
  return complete ? snapshot : undefined;
}

export interface MakeOptions {
  /** How long the template may take to reach its waiting point. */
  bootTimeoutMs: number;
  /** How often the console is read while waiting. */
  pollMs?: number;
  /** Abandons the make (and cleans up) when aborted. */
  signal?: AbortSignal;
}

/** Boots the template, waits for its agent to wait, saves it. Leaves nothing behind on failure. */
export async function makeSnapshot(ctx: ControllerContext, pool: PoolConfig, options: MakeOptions): Promise<Snapshot> {
  const { config, hypervisor, clock } = ctx;
  const key = keyFor(ctx, pool);
  const final = snapshotPaths(config.paths.state, key);
  const dir = `${final.dir}.making-${randomBytes(4).toString("hex")}`;
  const name = templateName(config.namePrefix, config.host.name, key);
  const disk = join(dir, "disk.qcow2");
  const serialLog = join(dir, "console.log");
  await mkdir(dir, { recursive: true, mode: 0o711 });
  try {
    await hypervisor.createOverlay(config.image.base, disk);
    const spec = {
      ...domainSpecFor(config, pool, name, { record: "", overlay: disk, secret: "", serialLog, channel: join(dir, "channel.sock") }, clock.now()),
      fwCfg: [],
      jobChannel: join(dir, "channel.sock"),
      metadata: { pool: pool.name, createdAt: new Date(clock.now()).toISOString() },
    };
    await hypervisor.defineDomain(spec);
    const started = clock.now();
    await hypervisor.startDomain(name);
    await crashPoint("snapshot:started");
    await waitForMark(ctx, serialLog, started + options.bootTimeoutMs, options.pollMs ?? 200, options.signal);
    const waited = clock.now();
    const state = join(dir, "state");
    await hypervisor.saveDomain(name, state);
    await crashPoint("snapshot:saved");
    const saveMs = clock.now() - waited;
    await hypervisor.removeDomain(name);
    const manifest: SnapshotManifest = {
      key,
      createdAt: new Date(clock.now()).toISOString(),
      pool: pool.name,
      vcpus: pool.vcpus,
      memoryMiB: pool.memoryMiB,
      base: config.image.base,
      stateBytes: (await stat(state)).size,
      bootMs: waited - started,
      saveMs,
    };
    await writeFileAtomic(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n", 0o644);
    await rename(dir, final.dir);
    ctx.logger.info({ event: "snapshot_made", ...manifest }, "snapshot made");
    return final;
  } catch (error) {
    await hypervisor.removeDomain(name).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function waitForMark(ctx: ControllerContext, serialLog: string, deadline: number, pollMs: number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    if (signal?.aborted) throw new Error("the snapshot was abandoned: the controller is stopping");
    const text = await readFile(serialLog, "utf8").catch(() => "");
    if (text.includes(channelWaitingLine)) return;
    const powered = /powering off/.exec(text);
    if (powered) throw new Error(`the snapshot's template guest powered off before it waited for a job: ${lastLine(text)}`);
    if (ctx.clock.now() > deadline) throw new Error(`the snapshot's template guest did not wait for a job in time: ${lastLine(text)}`);
    await ctx.clock.sleep(pollMs, signal).catch(() => undefined);
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.slice(0, 200) ?? "(no console output)";
}

export interface SweepResult {
  removedDirs: string[];
  removedDomains: string[];
}

/**
 * Removes what an interrupted make or restore left (template domains, `.making-` directories,
 * per-restore copies of state files) and, with `stale`, complete snapshots whose key no pool
 * wants any more. Run when no make or restore is under way (controller start).
 */
export async function sweepSnapshots(
  ctx: Pick<ControllerContext, "config" | "hypervisor">,
  wanted: ReadonlySet<string>,
  options: { stale: boolean },
): Promise<SweepResult> {
  const { config, hypervisor } = ctx;
  const result: SweepResult = { removedDirs: [], removedDomains: [] };
  for (const domain of await hypervisor.listDomains(templatePrefix(config.namePrefix, config.host.name))) {
    await hypervisor.removeDomain(domain.name);
    result.removedDomains.push(domain.name);
  }
  const root = snapshotsDir(config.paths.state);
  const entries = await readdir(root).catch(() => [] as string[]);
  for (const entry of entries) {
    const path = join(root, entry);
    const key = entry.split(".")[0] ?? "";
    if (entry.includes(".making-") || (options.stale && !wanted.has(key))) {
      await rm(path, { recursive: true, force: true });
      result.removedDirs.push(path);
      continue;
    }
    for (const file of await readdir(path).catch(() => [] as string[])) {
      if (file.endsWith(".restoring")) await rm(join(path, file), { force: true });
    }
  }
  return result;
}

export interface StaleSnapshot {
  path: string;
  why: string;
  ageMs: number;
}

/**
 * For `fleet doctor` (which runs beside a live controller): snapshots no pool wants any more and
 * makes abandoned by a crash, older than `minAgeMs` (a make under way is younger than its boot
 * timeout). A stale snapshot may still back a running VM's overlay; QEMU holds the file open, so
 * removing it does not disturb that VM.
 */
export async function staleSnapshots(ctx: Pick<ControllerContext, "config" | "hypervisor">, now: number, minAgeMs: number): Promise<StaleSnapshot[]> {
  const wanted = wantedKeys(ctx);
  const root = snapshotsDir(ctx.config.paths.state);
  const stale: StaleSnapshot[] = [];
  for (const entry of await readdir(root).catch(() => [] as string[])) {
    const path = join(root, entry);
    const ageMs = now - ((await stat(path).catch(() => undefined))?.mtimeMs ?? now);
    if (ageMs < minAgeMs) continue;
    if (entry.includes(".making-")) stale.push({ path, why: "an interrupted snapshot make", ageMs });
    else if (!wanted.has(entry)) stale.push({ path, why: "a snapshot no pool wants (image, agent, shape or renderer changed)", ageMs });
  }
  return stale;
}
