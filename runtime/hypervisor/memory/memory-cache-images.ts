/** Placeholder cache images for the in-memory driver (unit tests): files that stand for disks. */
import { copyFile, constants, stat, writeFile } from "node:fs/promises";
import type { CacheImages } from "../../ports/cache-images.ts";

export function createMemoryCacheImages(): CacheImages {
  return {
    async createEmpty(path, sizeMiB) {
      await writeFile(path, `empty ext4, ${sizeMiB} MiB\n`, { flag: "wx", mode: 0o644 });
    },
    async flatten(overlay, path) {
      // The memory hypervisor's overlays are not files: a flattened one is a marker naming it.
      await stat(overlay).then(
        () => copyFile(overlay, path, constants.COPYFILE_EXCL),
        () => writeFile(path, `flattened ${overlay}\n`, { flag: "wx", mode: 0o644 }),
      );
    },
    async allocatedBytes(path) {
      return (await stat(path)).size;
    },
  };
}
