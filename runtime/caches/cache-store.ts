/**
 * Cache generations on the host (docs/caches.md). Per pool and cache, a directory
 * `<state>/caches/<pool>/<cache>/` holds the generations `gen-NNNNNN.qcow2` and `current`, the
 * pointer to the one new VMs get. A generation file is never written after its rename into
 * place; a VM's writable copy is a qcow2 overlay on it in the overlays directory, named after the
 * VM so the orphan sweep finds it. Promotion: flatten the copy into a temporary file, fsync,
 * rename to its generation name, fsync the directory, then replace the pointer the same way.
 */
import { mkdir, open, readFile, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { CacheImages } from "../ports/cache-images.ts";
import { writeFileAtomic } from "../storage/atomic-file.ts";
import type { CacheConfig } from "./cache-shape.ts";
import { generationFile, generationIdOf, generationsToEvict, nextGenerationId, overCap } from "./generations.ts";

export interface CacheSizes {
  current: number | undefined;
  currentBytes: number;
  generations: number;
  totalBytes: number;
}

export interface CacheStoreDeps {
  stateDir: string;
  images: CacheImages;
  /** Writable copies are overlays like the VMs' root disks, made and removed by the hypervisor adapter. */
  overlays: { createOverlay(base: string, path: string): Promise<void>; removeOverlay(path: string): Promise<void> };
}

const pointerName = "current";

export function cacheDir(stateDir: string, pool: string, cache: string): string {
  return join(stateDir, "caches", pool, cache);
}

/** A VM's writable copy of a cache: `<vm>.cache-<name>.qcow2` beside its root overlay. */
export function writableCopyPath(stateDir: string, vm: string, cache: string): string {
  return join(stateDir, "overlays", `${vm}.cache-${cache}.qcow2`);
}

export class CacheStore {
  /** One change at a time per cache directory: two publishing VMs may finish together. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly sizes = new Map<string, CacheSizes>();

  constructor(private readonly deps: CacheStoreDeps) {}

  /** The current generation (made empty at first use): its id and file. */
  async current(pool: string, cache: CacheConfig): Promise<{ id: number; file: string }> {
    const dir = cacheDir(this.deps.stateDir, pool, cache.name);
    if (!this.sizes.has(`${pool}/${cache.name}`)) await this.refresh(pool, cache.name);
    const known = await readPointer(dir);
    if (known !== undefined) return { id: known, file: join(dir, generationFile(known)) };
    return this.locked(dir, async () => {
      const again = await readPointer(dir);
      if (again !== undefined) return { id: again, file: join(dir, generationFile(again)) };
      await mkdir(dir, { recursive: true, mode: 0o755 });
      const file = join(dir, generationFile(0));
      await rm(file, { force: true });
      await this.deps.images.createEmpty(file, cache.sizeMiB);
      await fsyncPath(file);
      await setPointer(dir, 0);
      await this.refresh(pool, cache.name);
      return { id: 0, file };
    });
  }

  async createWritableCopy(generationFilePath: string, copy: string): Promise<void> {
    await this.deps.overlays.createOverlay(generationFilePath, copy);
  }

  /**
   * Makes `copy` the cache's new current generation, unless it is over the cap (then it is
   * refused, saying why). The copy itself is left for the caller to remove.
   */
  async promote(pool: string, cache: CacheConfig, copy: string): Promise<{ id: number; bytes: number } | { refused: string }> {
    const dir = cacheDir(this.deps.stateDir, pool, cache.name);
    return this.locked(dir, async () => {
      const ids = await generationIds(dir);
      const id = nextGenerationId(ids, await readPointer(dir));
      const tmp = join(dir, `.${generationFile(id)}.tmp`);
      await rm(tmp, { force: true });
      await this.deps.images.flatten(copy, tmp);
      const bytes = await this.deps.images.allocatedBytes(tmp);
      if (overCap(bytes, cache.sizeMiB)) {
        await rm(tmp, { force: true });
        return { refused: `${bytes} bytes is over the ${cache.sizeMiB} MiB cap` };
      }
      await fsyncPath(tmp);
      await rename(tmp, join(dir, generationFile(id)));
      await fsyncPath(dir);
      await setPointer(dir, id);
      await this.refresh(pool, cache.name);
      return { id, bytes };
    });
  }

  /** Deletes old generations: see generationsToEvict. Returns the ids removed. */
  async evict(pool: string, cache: CacheConfig, inUse: ReadonlySet<number>): Promise<number[]> {
    const dir = cacheDir(this.deps.stateDir, pool, cache.name);
    return this.locked(dir, async () => {
      const gone = generationsToEvict(await generationIds(dir), await readPointer(dir), inUse, cache.keep);
      for (const id of gone) await rm(join(dir, generationFile(id)), { force: true });
      // Temporary files of a promotion cut short by a crash.
      for (const name of await readdir(dir).catch(() => [] as string[])) if (name.endsWith(".tmp")) await rm(join(dir, name), { force: true });
      await this.refresh(pool, cache.name);
      return gone;
    });
  }

  async removeWritableCopy(copy: string): Promise<void> {
    await this.deps.overlays.removeOverlay(copy);
  }

  /** Last known sizes per `pool/cache` (refreshed after every change, and by `refresh`). */
  sizesOf(pool: string, cache: string): CacheSizes | undefined {
    return this.sizes.get(`${pool}/${cache}`);
  }

  async refresh(pool: string, cache: string): Promise<void> {
    const dir = cacheDir(this.deps.stateDir, pool, cache);
    const current = await readPointer(dir);
    let currentBytes = 0;
    let totalBytes = 0;
    const ids = await generationIds(dir);
    for (const id of ids) {
      const bytes = await this.deps.images.allocatedBytes(join(dir, generationFile(id))).catch(() => 0);
      totalBytes += bytes;
      if (id === current) currentBytes = bytes;
    }
    this.sizes.set(`${pool}/${cache}`, { current, currentBytes, generations: ids.length, totalBytes });
  }

  private locked<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }
}

async function readPointer(dir: string): Promise<number | undefined> {
  try {
    return generationIdOf((await readFile(join(dir, pointerName), "utf8")).trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function setPointer(dir: string, id: number): Promise<void> {
  await writeFileAtomic(join(dir, pointerName), `${generationFile(id)}\n`, 0o644);
  await fsyncPath(dir);
}

async function generationIds(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.map(generationIdOf).filter((id): id is number => id !== undefined);
}

/** fsync of a file or directory: a rename is durable only once its directory is synced. */
async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
