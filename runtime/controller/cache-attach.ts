/**
 * Dependency caches for a new VM (docs/caches.md): for each of its pool's caches, the current
 * generation read-only and a writable copy of it of the VM's own, and the map the guest mounts
 * them by. Which one a job mounts is decided in the guest; which copy becomes the next generation
 * is decided on the host afterwards (cache-publish.ts).
 */
import type { PoolConfig } from "../config/controller-config.ts";
import { writableCopyPath } from "../caches/cache-store.ts";
import type { DomainSpec } from "../ports/hypervisor.ts";
import { cacheDiskSerial, cachesFwCfgName, renderCacheMap } from "../protocol/guest-caches.ts";
import type { ControllerContext } from "./context.ts";
import type { CacheUse } from "./vm-record.ts";

export interface AttachedCache {
  name: string;
  generationFile: string;
  copy: string;
  use: CacheUse;
}

/** Makes the writable copies; the generations they are based on go into the record. */
export async function attachCaches(ctx: ControllerContext, pool: PoolConfig, vm: string): Promise<AttachedCache[]> {
  const store = ctx.caches;
  if (!store || !pool.caches?.length) return [];
  const attached: AttachedCache[] = [];
  for (const cache of pool.caches) {
    const current = await store.current(pool.name, cache);
    const copy = writableCopyPath(ctx.config.paths.state, vm, cache.name);
    await store.createWritableCopy(current.file, copy);
    attached.push({ name: cache.name, generationFile: current.file, copy, use: { generation: current.id } });
  }
  return attached;
}

/** The domain's cache disks (read-only generation, then the writable copy, per cache) and the guest's map. */
export function cacheDomainFields(pool: PoolConfig, attached: readonly AttachedCache[]): Pick<DomainSpec, "extraDisks" | "fwCfgText"> {
  if (attached.length === 0) return {};
  const paths = new Map((pool.caches ?? []).map((c) => [c.name, c.path]));
  return {
    extraDisks: attached.flatMap((a) => [
      { file: a.generationFile, serial: cacheDiskSerial(a.name, "ro"), readOnly: true },
      { file: a.copy, serial: cacheDiskSerial(a.name, "rw"), readOnly: false },
    ]),
    fwCfgText: [{ name: cachesFwCfgName, value: renderCacheMap(attached.map((a) => ({ name: a.name, path: paths.get(a.name)! }))) }],
  };
}
