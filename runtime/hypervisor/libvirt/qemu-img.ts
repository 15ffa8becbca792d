/** qcow2 overlays with qemu-img (execFile, no shell). */
import { open, rm } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { checkOverlaySize, OverlayError } from "../errors.ts";
import { CommandError, runCommand } from "./run-command.ts";

/**
 * Creates `path` as a qcow2 overlay backed by `base` (format `baseFormat`). The file is first
 * created exclusively, because `qemu-img create` would silently overwrite an existing one; it is
 * left readable by root only (libvirt hands it to QEMU's user while the domain runs).
 */
export async function createQcow2Overlay(
  base: string,
  path: string,
  options: { binary?: string; baseFormat?: string; timeoutMs?: number; sizeGiB?: number } = {},
): Promise<void> {
  checkOverlaySize(options.sizeGiB);
  if (!isAbsolute(base)) throw new OverlayError(`overlay base must be an absolute path: ${base}`);
  if (!isAbsolute(path)) throw new OverlayError(`overlay path must be an absolute path: ${path}`);
  try {
    const handle = await open(path, "wx", 0o600);
    await handle.close();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new OverlayError(`overlay already exists: ${path}`);
    throw new OverlayError(`cannot create overlay ${path}: ${(error as Error).message}`);
  }
  try {
    await runCommand(
      options.binary ?? "qemu-img",
      ["create", "-q", "-f", "qcow2", "-F", options.baseFormat ?? "qcow2", "-b", base, path, ...(options.sizeGiB ? [`${options.sizeGiB}G`] : [])],
      { timeoutMs: options.timeoutMs ?? 60_000 },
    );
  } catch (error) {
    await rm(path, { force: true });
    const detail = error instanceof CommandError ? error.stderr.trim() : (error as Error).message;
    throw new OverlayError(`qemu-img could not create overlay ${path} on ${base}: ${detail}`);
  }
}
