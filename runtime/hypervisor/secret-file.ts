/**
 * The checks `shareSecretFile` makes before handing a secret file to QEMU, shared by both
 * adapters: a regular file (not a symlink someone planted), mode 0600 or stricter.
 */
import { constants, type Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { SecretFileError } from "./errors.ts";

/** Opens `path` without following symlinks, checks it and passes the open handle on. */
export async function withCheckedSecretFile(path: string, use: (handle: FileHandle, info: Stats) => Promise<void>): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "ELOOP" ? "is a symlink" : `cannot be opened (${code ?? String(error)})`;
    throw new SecretFileError(`secret file ${path} ${why}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new SecretFileError(`secret file ${path} is not a regular file`);
    if ((info.mode & 0o077) !== 0) {
      throw new SecretFileError(`secret file ${path} has mode ${(info.mode & 0o777).toString(8).padStart(4, "0")}; it must be 0600`);
    }
    await use(handle, info);
  } finally {
    await handle.close();
  }
}
