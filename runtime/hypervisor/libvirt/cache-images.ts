/** Cache images with mkfs.ext4 and qemu-img (execFile, no shell): see runtime/ports/cache-images.ts. */
import { open, rm, stat } from "node:fs/promises";
import type { CacheImages } from "../../ports/cache-images.ts";
import { runCommand } from "./run-command.ts";

/** The guest's `runner` user (guest/build-image.sh creates it with uid and gid 1000). */
const runnerOwner = "1000:1000";

export function createQemuCacheImages(options: { qemuImg?: string; mkfs?: string } = {}): CacheImages {
  const qemuImg = options.qemuImg ?? "qemu-img";
  return {
    async createEmpty(path, sizeMiB) {
      const raw = `${path}.raw`;
      await reserve(path);
      try {
        await rm(raw, { force: true });
        // No journal: a guest that powers off without unmounting leaves nothing to replay, and a
        // read-only mount of a journalled filesystem with a dirty journal would fail.
        await runCommand(options.mkfs ?? "mkfs.ext4", ["-q", "-F", "-O", "^has_journal", "-m", "0", "-L", "rf-cache", "-E", `root_owner=${runnerOwner}`, raw, `${sizeMiB}M`]);
        await runCommand(qemuImg, ["convert", "-q", "-f", "raw", "-O", "qcow2", raw, path], { timeoutMs: 120_000 });
      } catch (error) {
        await rm(path, { force: true });
        throw error;
      } finally {
        await rm(raw, { force: true });
      }
    },
    async flatten(overlay, path) {
      await reserve(path);
      try {
        await runCommand(qemuImg, ["convert", "-q", "-f", "qcow2", "-O", "qcow2", overlay, path], { timeoutMs: 600_000 });
      } catch (error) {
        await rm(path, { force: true });
        throw error;
      }
    },
    async allocatedBytes(path) {
      return (await stat(path)).blocks * 512;
    },
  };
}

/** Creates the file exclusively first: qemu-img would overwrite an existing one without a word. */
async function reserve(path: string): Promise<void> {
  const handle = await open(path, "wx", 0o644);
  await handle.close();
}
