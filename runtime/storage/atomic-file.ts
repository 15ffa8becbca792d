/**
 * Whole-file writes that readers never see half-done: write a temporary file beside the target
 * (created with the final mode, so a secret is never briefly world-readable), flush it, rename.
 */
import { open, readdir, rename, rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

export async function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx", mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Files in `dir` whose names start with `prefix` (one owner's files in a shared directory). */
export async function listFilesWithPrefix(dir: string, prefix: string): Promise<string[]> {
  return (await listFiles(dir)).filter((path) => path.slice(dir.length + 1).startsWith(prefix));
}

/** Files in `dir` (not recursive). A missing directory has none. */
export async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(dir, e.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}
