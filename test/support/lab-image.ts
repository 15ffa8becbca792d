/**
 * Test support for the real-VM tests: is libvirtd reachable, and the lab image (built, or
 * brought up to date, by guest/build-image.sh; cached, so a few seconds when nothing changed).
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

export const libvirtUri = process.env.RF_TEST_LIBVIRT_URI ?? "qemu:///system";
export const labImageDir = process.env.RF_LAB_IMAGE_DIR ?? "/var/lib/runner-fleet/images/lab";

/** Undefined when libvirtd answers; otherwise why not. */
export async function libvirtUnreachable(): Promise<string | undefined> {
  try {
    await run("virsh", ["-c", libvirtUri, "version"], { timeout: 10_000 });
    return undefined;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    return `libvirtd is not reachable at ${libvirtUri} (${stderr || (error as Error).message}); run scripts/setup-machine.sh`;
  }
}

/**
 * `describe` when libvirtd answers; otherwise one skipped test whose title says why, so a
 * skipped run is visible in the report. With RF_REQUIRE_LIBVIRT=1 (CI, scripts/test-all.sh)
 * an unreachable libvirtd fails the test instead: CI must never pass by skipping real VMs.
 */
export async function describeWithLibvirt(title: string, body: () => void): Promise<void> {
  const reason = await libvirtUnreachable();
  if (!reason) describe(title, body);
  else if (process.env.RF_REQUIRE_LIBVIRT === "1") describe(title, () => it(`libvirtd is required: ${reason}`, () => expect.fail(reason)));
  else describe(title, () => it.skip(`skipped: ${reason}`, () => undefined));
}

export interface LabImage {
  dir: string;
  kernel: string;
  initrd: string;
  base: string;
  /** The kernel command line for a libvirt network (DHCP). */
  cmdline: string;
  manifest: Record<string, unknown>;
}

/** The lab image for `arch` (arm64: built from Debian's arm64 packages, `RF_LAB_ARM64_IMAGE_DIR`). */
export async function ensureLabImage(arch: "amd64" | "arm64" = "amd64"): Promise<LabImage> {
  const dir = arch === "amd64" ? labImageDir : (process.env.RF_LAB_ARM64_IMAGE_DIR ?? "/var/lib/runner-fleet/images/lab-arm64");
  const args = arch === "amd64" ? [dir] : ["--arch", arch, dir];
  await run(join(process.cwd(), "guest/build-image.sh"), args, { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Record<string, unknown>;
  // The manifest names the versioned files: a later rebuild never changes what these point to.
  const artifacts = manifest.artifacts as Record<"vmlinux" | "initrd" | "base", { path: string }>;
  return {
    dir,
    kernel: artifacts.vmlinux.path,
    initrd: artifacts.initrd.path,
    base: artifacts.base.path,
    cmdline: manifest.cmdlineDhcp as string,
    manifest,
  };
}
