/**
 * What the lab needs before it starts, each with the command that provides it. Checked up
 * front so a missing piece is one clear message, not a stack trace from deep inside a boot.
 */
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { GuestImage } from "./lab-config.ts";

const run = promisify(execFile);
/** The lab guest image; `RF_LAB_IMAGE_DIR` points the lab, the benchmarks and tests at another build. */
export const defaultImageDir = process.env.RF_LAB_IMAGE_DIR ?? "/var/lib/runner-fleet/images/lab";
const setupHint = "run: bash scripts/setup-machine.sh   (as root; installs and starts libvirt)";
const imageHint = (dir: string) => `run: bash guest/build-image.sh ${dir}   (as root; builds the guest image from Debian packages)`;

export class MissingPrerequisite extends Error {
  constructor(readonly what: string, readonly hint: string) {
    super(`${what}\n  ${hint}`);
    this.name = "MissingPrerequisite";
  }
}

interface Manifest {
  artifacts: { vmlinux: { path: string }; initrd: { path: string }; base: { path: string } };
  cmdlineDhcp: string;
}

export async function readGuestImage(dir: string): Promise<GuestImage> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(`${dir}/manifest.json`, "utf8")) as Manifest;
  } catch {
    throw new MissingPrerequisite(`no guest image in ${dir} (manifest.json missing or unreadable)`, imageHint(dir));
  }
  const image: GuestImage = {
    base: manifest.artifacts.base.path,
    kernel: manifest.artifacts.vmlinux.path,
    initrd: manifest.artifacts.initrd.path,
    // Lab guests are on a libvirt network, whose dnsmasq hands out their addresses.
    cmdline: manifest.cmdlineDhcp,
  };
  for (const path of [image.base, image.kernel, image.initrd]) {
    try {
      await access(path);
    } catch {
      throw new MissingPrerequisite(`guest image file ${path} is missing`, imageHint(dir));
    }
  }
  return image;
}

export async function checkLibvirt(uri = "qemu:///system"): Promise<void> {
  if (process.getuid?.() !== 0) throw new MissingPrerequisite("the lab with real VMs runs as root (it drives qemu:///system)", "run it with sudo, or use --driver memory");
  try {
    await run("virsh", ["-c", uri, "version"], { timeout: 10_000 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MissingPrerequisite(code === "ENOENT" ? "virsh is not installed" : `libvirtd is not answering on ${uri}`, setupHint);
  }
  try {
    await run("qemu-img", ["--version"], { timeout: 10_000 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new MissingPrerequisite("qemu-img is not installed", setupHint);
  }
}

/** The memory driver boots nothing, but checks the files a real boot would need exist. */
export async function standInImage(dir: string): Promise<GuestImage> {
  const images = join(dir, "stand-in-image");
  await mkdir(images);
  for (const file of ["base.qcow2", "vmlinux", "initrd.img"]) await writeFile(join(images, file), "stand-in");
  return { base: join(images, "base.qcow2"), kernel: join(images, "vmlinux"), initrd: join(images, "initrd.img"), cmdline: "console=ttyS0" };
}
