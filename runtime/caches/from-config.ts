/** The cache store a controller config asks for: none unless a pool has caches. */
import type { ControllerConfig } from "../config/controller-config.ts";
import { createQemuCacheImages } from "../hypervisor/libvirt/cache-images.ts";
import { createMemoryCacheImages } from "../hypervisor/memory/memory-cache-images.ts";
import type { Hypervisor } from "../ports/hypervisor.ts";
import { CacheStore } from "./cache-store.ts";

export function cacheStoreFor(config: ControllerConfig, hypervisor: Hypervisor): { caches?: CacheStore } {
  if (!config.pools.some((p) => (p.caches?.length ?? 0) > 0)) return {};
  const images = config.hypervisor.driver === "memory" ? createMemoryCacheImages() : createQemuCacheImages();
  return { caches: new CacheStore({ stateDir: config.paths.state, images, overlays: hypervisor }) };
}
