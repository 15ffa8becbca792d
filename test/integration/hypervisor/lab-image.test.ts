/** guest/build-image.sh: idempotent, and the manifest describes exactly what it built. */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, readlink } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { beforeAll, expect, it } from "vitest";
import { ensureLabImage, labImageDir, describeWithLibvirt, type LabImage } from "../../support/lab-image.ts";

const run = promisify(execFile);

/** Names in a newc cpio archive. */
function cpioNames(archive: Buffer): string[] {
  const names: string[] = [];
  let offset = 0;
  const pad = (n: number) => (n + 3) & ~3;
  while (offset + 110 <= archive.length) {
    const header = archive.subarray(offset, offset + 110).toString("latin1");
    const size = Number.parseInt(header.slice(54, 62), 16);
    const nameSize = Number.parseInt(header.slice(94, 102), 16);
    const name = archive.subarray(offset + 110, offset + 110 + nameSize - 1).toString("utf8");
    if (name === "TRAILER!!!") break;
    names.push(name);
    offset = pad(offset + 110 + nameSize) + size;
    offset = pad(offset);
  }
  return names;
}

await describeWithLibvirt("lab guest image", () => {
  let image: LabImage;
  beforeAll(async () => {
    image = await ensureLabImage();
  });

  it("does nothing when no input changed", async () => {
    const { stdout } = await run(join(process.cwd(), "guest/build-image.sh"), [labImageDir]);
    expect(stdout).toMatch(/^build-image: up to date: /m);
  });

  it("records the versioned path, sha256 and size of every artifact; the plain names point to them", async () => {
    const artifacts = image.manifest.artifacts as Record<string, { path: string; bytes: number; sha256: string }>;
    expect(Object.keys(artifacts).sort()).toEqual(["base", "initrd", "vmlinux"]);
    const plainNames: Record<string, string> = { base: "base.qcow2", initrd: "initrd.img", vmlinux: "vmlinux" };
    for (const [kind, artifact] of Object.entries(artifacts)) {
      const content = await readFile(artifact.path);
      expect(content.length).toBe(artifact.bytes);
      const sha256 = createHash("sha256").update(content).digest("hex");
      expect(sha256).toBe(artifact.sha256);
      expect(basename(artifact.path)).toContain(`${kind}-${sha256.slice(0, 12)}`);
      expect(await readlink(join(labImageDir, plainNames[kind]!))).toBe(basename(artifact.path));
    }
  });

  it("ships an uncompressed ELF kernel, a qcow2 root disk and a busybox initramfs with its modules", async () => {
    expect((await readFile(image.kernel)).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    const info = JSON.parse((await run("qemu-img", ["info", "--output=json", image.base])).stdout) as { format: string; "virtual-size": number };
    expect(info.format).toBe("qcow2");
    expect(info["virtual-size"]).toBeGreaterThanOrEqual(1 << 30);

    const names = cpioNames(gunzipSync(await readFile(image.initrd)));
    expect(names).toEqual(expect.arrayContaining(["init", "bin/busybox", "modules.load"]));
    for (const module of image.manifest.initramfsModules as string[]) expect(names).toContain(`lib/modules/${module}`);
    expect(image.manifest.initramfsModules).toEqual(expect.arrayContaining(["virtio_blk.ko", "virtio_net.ko", "ext4.ko", "qemu_fw_cfg.ko"]));
    expect(image.cmdline).toMatch(/ rf\.net=dhcp$/);
    expect((image.manifest.packages as Record<string, string>).nodejs).toMatch(/^18\./);
  });
});
