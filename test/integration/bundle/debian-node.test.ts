/**
 * The bundle the stack ships to hosts runs on the Node.js that Debian 12 hosts get from apt
 * (18.20), not only on the Node 20 of this machine: the lab, with its emulator, controller
 * (Octokit, App auth, signed webhooks) and guest agents, runs under that Node in a chroot of
 * the lab image's Debian root filesystem (which carries Debian's nodejs package).
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { describeWithLibvirt, ensureLabImage } from "../../support/lab-image.ts";

const run = promisify(execFile);
const cacheDir = "/var/cache/runner-fleet/guest-image";

/** The newest debootstrap root the image build cached (it has Debian's node). */
async function debianRoot(): Promise<string> {
  const candidates: { path: string; mtime: number }[] = [];
  for (const name of await readdir(cacheDir)) {
    if (!name.startsWith("rootfs-")) continue;
    const path = join(cacheDir, name);
    const node = await stat(join(path, "usr/bin/node")).catch(() => undefined);
    if (node) candidates.push({ path, mtime: node.mtimeMs });
  }
  const newest = candidates.sort((a, b) => b.mtime - a.mtime)[0];
  if (!newest) throw new Error(`no Debian root with usr/bin/node under ${cacheDir}; run guest/build-image.sh`);
  return newest.path;
}

await describeWithLibvirt("the shipped bundle on Debian 12's Node.js", () => {
  it("runs the lab (emulator, controller, guests) under Debian's node", async () => {
    await ensureLabImage();
    const work = await mkdtemp(join(tmpdir(), "rf-debian-node-"));
    const root = join(work, "root");
    // A copy (cp -a: the root has device nodes): the image build's cache must never see a mount.
    await run("cp", ["-a", await debianRoot(), root]);
    await cp("dist/fleet.cjs", join(root, "opt/fleet.cjs"));
    const mounts: string[] = [];
    try {
      await run("mount", ["-t", "proc", "proc", join(root, "proc")]);
      mounts.push(join(root, "proc"));
      await run("mount", ["--bind", "/dev", join(root, "dev")]);
      mounts.push(join(root, "dev"));
      const version = await run("chroot", [root, "/usr/bin/node", "--version"]);
      expect(version.stdout.trim()).toMatch(/^v18\./);
      const lab = await run("chroot", [root, "/usr/bin/node", "/opt/fleet.cjs", "lab", "--driver", "memory", "--jobs", "2"], { timeout: 120_000 });
      expect(lab.stdout).toMatch(/lab-job-1 .* success/);
      expect(lab.stdout).toMatch(/lab-job-2 .* success/);
      expect(lab.stdout).toContain("domains 0, overlays 0, runners 0, secrets 0: nothing left");
    } finally {
      for (const mount of mounts.reverse()) await run("umount", [mount]).catch(() => run("umount", ["-l", mount]));
      await rm(work, { recursive: true, force: true });
    }
  });
});
