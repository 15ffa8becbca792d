/**
 * The runner base image: its recipe, the scripts that build it on a host, and the recipe hash
 * that names the image and triggers a rebuild.
 *
 * The build needs nothing beyond QEMU and genisoimage on the host: it downloads a Debian
 * "generic" cloud image (verified against Debian's SHA512SUMS), boots it once with a cloud-init
 * seed that provisions it (packages, a non-root runner user, actions/runner pinned by version and
 * SHA-256, the one-job service), and stores the result as a qcow2 in the libvirt pool. The image
 * boots from its own disk; at run time a VM reads its JIT config from fw_cfg, runs exactly one
 * job as the runner user, and powers off.
 */
import { createHash } from "node:crypto";
import { hostLayout } from "../runtime/controller/endpoints.ts";
import { debianReleases } from "./stack-config.ts";
import type { Arch, DebianRelease, ImageSettings } from "./stack-config.ts";
import { scriptHeader } from "./shell.ts";
import { jitConfigSysfsPath } from "../runtime/protocol/fw-cfg.ts";

/** What every runner needs, whatever the operator adds. */
export const requiredPackages = ["ca-certificates", "curl", "git", "jq", "tar"] as const;

/** Where the guest reads the JIT config the controller attaches (the same for the lab image). */
export const jitConfigFwCfgPath = jitConfigSysfsPath;

/** actions/runner reads `ACTIONS_RUNNER_INPUT_<arg>` as `--<arg>` (src/Runner.Listener/CommandSettings.cs). */
export const jitConfigEnvVar = "ACTIONS_RUNNER_INPUT_JITCONFIG";

/** Where actions/runner is unpacked inside the image. */
export const runnerDir = "/opt/actions-runner";

export interface ImageRecipe {
  release: DebianRelease;
  cloudImageVersion: string;
  arch: Arch;
  packages: string[];
  user: string;
  runner: { version: string; sha256: string };
  diskGiB: number;
}

export function imageRecipe(image: ImageSettings, arch: Arch): ImageRecipe {
  const sha256 = image.runnerSha256[arch];
  if (sha256 === undefined) throw new Error(`image.runnerSha256.${arch} is not set`);
  return {
    release: image.release,
    cloudImageVersion: image.cloudImageVersion,
    arch,
    packages: [...new Set([...requiredPackages, ...image.packages])].sort(),
    user: image.user,
    runner: { version: image.runnerVersion, sha256 },
    diskGiB: image.diskGiB,
  };
}

const debianArch: Record<Arch, string> = { x64: "amd64", arm64: "arm64" };

export interface CloudImageSource {
  directoryUrl: string;
  file: string;
}

export function cloudImageSource(recipe: ImageRecipe): CloudImageSource {
  const major = debianReleases[recipe.release];
  const dated = recipe.cloudImageVersion !== "latest";
  const suffix = dated ? `-${recipe.cloudImageVersion}` : "";
  return {
    directoryUrl: `https://cloud.debian.org/images/cloud/${recipe.release}/${recipe.cloudImageVersion}`,
    file: `debian-${major}-generic-${debianArch[recipe.arch]}${suffix}.qcow2`,
  };
}

export function runnerTarballUrl(recipe: ImageRecipe): string {
  const { version } = recipe.runner;
  return `https://github.com/actions/runner/releases/download/v${version}/actions-runner-linux-${recipe.arch}-${version}.tar.gz`;
}

/** The one-job entry point inside the guest (runs as root, drops to the runner user). */
export function renderJitStartScript(recipe: ImageRecipe): string {
  return [
    "#!/bin/sh",
    "# runner-fleet: run the one job this VM was booted for. The unit powers the VM off afterwards.",
    "set -eu",
    `config=${jitConfigFwCfgPath}`,
    `if [ ! -r "$config" ]; then`,
    `  echo "runner-fleet: no JIT config in fw_cfg; nothing to run" >&2`,
    `  exit 1`,
    `fi`,
    `cd ${runnerDir}`,
    // The JIT config (the runner's only credential) goes by environment, never on a command line,
    // where any process could read it in /proc. actions/runner takes ACTIONS_RUNNER_INPUT_JITCONFIG
    // like --jitconfig, adds it to its secret masker and deletes it from its own environment at start.
    // No copy lands in a file: the shell reads the root-only fw_cfg entry straight into the variable.
    `${jitConfigEnvVar}=$(cat "$config")`,
    `export ${jitConfigEnvVar}`,
    `exec runuser -u ${recipe.user} -- ./run.sh`,
    "",
  ].join("\n");
}

export function renderJitUnit(): string {
  return [
    "[Unit]",
    "Description=runner-fleet: run one GitHub Actions job, then power off",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    "ExecStart=/usr/local/libexec/runner-fleet-jit",
    // Success or failure, the VM's life ends with its job: the controller sees the domain stop.
    "ExecStopPost=/usr/bin/systemctl --no-block poweroff",
    "TimeoutStartSec=infinity",
    "StandardOutput=journal+console",
    "StandardError=journal+console",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

const networkdConfig = ["[Match]", "Name=en* eth*", "", "[Network]", "DHCP=ipv4", ""].join("\n");

function fileBlock(path: string, content: string, mode: string): string[] {
  const encoded = Buffer.from(content).toString("base64");
  return [`printf '%s' '${encoded}' | base64 -d > ${path}`, `chmod ${mode} ${path}`];
}

/** Runs inside the build VM as root (via cloud-init). */
export function renderProvisionScript(recipe: ImageRecipe): string {
  const tarball = runnerTarballUrl(recipe);
  const user = recipe.user;
  const console = recipe.arch === "x64" ? "/dev/ttyS0" : "/dev/ttyAMA0";
  return [
    scriptHeader(`provision runner base image (actions/runner ${recipe.runner.version}, ${recipe.arch})`),
    "export DEBIAN_FRONTEND=noninteractive",
    "apt-get update -q",
    `apt-get install -y -q --no-install-recommends ${recipe.packages.join(" ")} systemd-resolved`,
    // The runner user owns its work, nothing else; it has no sudo and no password.
    `useradd --create-home --shell /bin/bash --user-group ${user}`,
    // actions/runner, pinned by version and verified by SHA-256 before it is unpacked.
    `curl -fsSL --retry 5 -o /tmp/actions-runner.tar.gz '${tarball}'`,
    `echo '${recipe.runner.sha256}  /tmp/actions-runner.tar.gz' | sha256sum -c -`,
    // Self-update disabled: the runner's files belong to root inside a sticky directory, so an
    // update can neither overwrite nor rename them, while the runner user can still create its
    // own state (.runner, _work, _diag). Each VM also starts from the pinned image again.
    `install -d -o root -g ${user} -m 1775 ${runnerDir}`,
    `tar -xzf /tmp/actions-runner.tar.gz -C ${runnerDir} --no-same-owner`,
    `chown -R root:root ${runnerDir}/bin ${runnerDir}/externals`,
    "rm -f /tmp/actions-runner.tar.gz",
    `${runnerDir}/bin/installdependencies.sh`,
    // The one-job service and what it needs at boot.
    "install -d -m 0755 /usr/local/libexec",
    ...fileBlock("/usr/local/libexec/runner-fleet-jit", renderJitStartScript(recipe), "0755"),
    ...fileBlock("/etc/systemd/system/runner-fleet-jit.service", renderJitUnit(), "0644"),
    "echo qemu_fw_cfg > /etc/modules-load.d/runner-fleet.conf",
    "systemctl enable runner-fleet-jit.service",
    // Networking by interface pattern, since PCI slots differ between the build VM and runners.
    ...fileBlock("/etc/systemd/network/10-runner-fleet.network", networkdConfig, "0644"),
    "rm -f /etc/network/interfaces.d/50-cloud-init",
    "systemctl disable networking.service 2>/dev/null || true",
    "systemctl enable systemd-networkd.service systemd-resolved.service",
    // Nothing logs in to a runner; cloud-init must not run again on runner boots.
    "systemctl disable ssh.service 2>/dev/null || true",
    "touch /etc/cloud/cloud-init.disabled",
    // Every VM must get its own machine-id (and so its own DHCP lease).
    "truncate -s 0 /etc/machine-id",
    "rm -f /var/lib/dbus/machine-id",
    "apt-get clean",
    "rm -rf /var/lib/apt/lists/* /var/log/cloud-init*.log",
    "fstrim -av || true",
    `echo runner-fleet-image-ok > ${console}`,
    "",
  ].join("\n");
}

export function renderCloudInitUserData(recipe: ImageRecipe): string {
  const script = Buffer.from(renderProvisionScript(recipe)).toString("base64");
  return [
    "#cloud-config",
    "write_files:",
    "  - path: /root/runner-fleet-provision.sh",
    "    permissions: '0700'",
    "    encoding: b64",
    `    content: ${script}`,
    "runcmd:",
    "  - [bash, /root/runner-fleet-provision.sh]",
    "  - [rm, -f, /root/runner-fleet-provision.sh]",
    "power_state:",
    "  mode: poweroff",
    "  condition: true",
    "",
  ].join("\n");
}

/**
 * Runs on the host as root: `bash -s -- OUTPUT.qcow2` with this script on stdin. Does nothing if
 * OUTPUT exists (the name carries the recipe hash); writes it atomically otherwise.
 */
export function renderBuildScript(recipe: ImageRecipe): string {
  const source = cloudImageSource(recipe);
  const userData = Buffer.from(renderCloudInitUserData(recipe)).toString("base64");
  const qemu =
    recipe.arch === "x64"
      ? "qemu-system-x86_64 -machine q35,accel=kvm:tcg -cpu max"
      : "qemu-system-aarch64 -machine virt,accel=kvm:tcg -cpu max -bios /usr/share/AAVMF/AAVMF_CODE.fd";
  return [
    scriptHeader(`build runner base image (${recipe.release}, ${recipe.arch}, actions/runner ${recipe.runner.version})`),
    `output="$1"`,
    `case "$output" in ${hostLayout.imageDir}/*.qcow2) ;; *) echo "refusing output path $output" >&2; exit 2;; esac`,
    `if [ -e "$output" ]; then echo "image $output already built"; exit 0; fi`,
    `work=$(mktemp -d /var/tmp/runner-fleet-image.XXXXXX)`,
    `trap 'rm -rf "$work"' EXIT`,
    `cd "$work"`,
    // The Debian cloud image, checked against the SHA512SUMS published next to it.
    `curl -fsSL --retry 5 -o cloud.qcow2 '${source.directoryUrl}/${source.file}'`,
    `curl -fsSL --retry 5 -o SHA512SUMS '${source.directoryUrl}/SHA512SUMS'`,
    `expected=$(awk '$2 == "${source.file}" { print $1 }' SHA512SUMS)`,
    `[ -n "$expected" ] || { echo "${source.file} is not listed in SHA512SUMS" >&2; exit 1; }`,
    `echo "$expected  cloud.qcow2" | sha512sum -c -`,
    `qemu-img convert -O qcow2 cloud.qcow2 disk.qcow2`,
    `rm -f cloud.qcow2`,
    `qemu-img resize -q disk.qcow2 ${recipe.diskGiB}G`,
    // Provision by booting the image once with a cloud-init seed: no libguestfs, no loop mounts.
    `printf '%s' '${userData}' | base64 -d > user-data`,
    `printf 'instance-id: runner-fleet-build\\nlocal-hostname: runner-fleet-build\\n' > meta-data`,
    `genisoimage -quiet -output seed.iso -volid cidata -joliet -rock user-data meta-data`,
    `timeout 7200 ${qemu} -smp 2 -m 2048 -display none -monitor none -no-reboot \\`,
    `  -drive file=disk.qcow2,if=virtio,format=qcow2 -drive file=seed.iso,media=cdrom,readonly=on \\`,
    `  -netdev user,id=net0 -device virtio-net-pci,netdev=net0 -serial file:console.log`,
    `if ! grep -q runner-fleet-image-ok console.log; then`,
    `  echo "provisioning failed; last console lines:" >&2`,
    `  tail -n 60 console.log >&2`,
    `  exit 1`,
    `fi`,
    `qemu-img convert -O qcow2 disk.qcow2 "$output.partial"`,
    `chmod 0644 "$output.partial"`,
    `mv "$output.partial" "$output"`,
    `virsh -q -c qemu:///system pool-refresh runner-fleet >/dev/null || true`,
    `echo "built $output"`,
    "",
  ].join("\n");
}

/** Deterministic JSON: object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The rebuild trigger: the recipe and the exact script that builds it. */
export function recipeHash(recipe: ImageRecipe): string {
  return createHash("sha256").update(canonicalJson(recipe)).update("\n").update(renderBuildScript(recipe)).digest("hex");
}

/** Named by the hash, so a rebuild never overwrites an image that VMs are using. */
export function imageFileName(recipe: ImageRecipe): string {
  return `runner-base-${recipe.arch}-${recipeHash(recipe).slice(0, 16)}.qcow2`;
}

export function imagePath(recipe: ImageRecipe): string {
  return `${hostLayout.imageDir}/${imageFileName(recipe)}`;
}
