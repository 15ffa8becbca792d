/**
 * Scripts that prepare a host: OS packages, directories and the libvirt storage pool, and the
 * controller's config file. Each is idempotent: running it again changes nothing.
 */
import { hostLayout } from "../runtime/controller/endpoints.ts";
import type { Arch } from "./stack-config.ts";
import { scriptHeader, shellQuote } from "./shell.ts";

export const storagePoolName = "runner-fleet";

const commonPackages = [
  "ca-certificates",
  "curl",
  "dnsmasq-base",
  "genisoimage",
  "iptables",
  "libvirt-clients",
  "libvirt-daemon-system",
  "nodejs",
  "qemu-utils",
];

const archPackages: Record<Arch, string[]> = {
  x64: ["qemu-system-x86"],
  arm64: ["qemu-efi-aarch64", "qemu-system-arm"],
};

export function hostPackages(arch: Arch): string[] {
  return [...commonPackages, ...archPackages[arch]].sort();
}

/** The bundle targets Node 18; Debian 12 ships 18, later releases newer. */
export const minimumNodeMajor = 18;

export function renderPackagesScript(arch: Arch): string {
  return [
    scriptHeader("install host packages"),
    "export DEBIAN_FRONTEND=noninteractive",
    "apt-get update -q",
    `apt-get install -y -q --no-install-recommends ${hostPackages(arch).join(" ")}`,
    `node_major=$(${hostLayout.node} -p 'process.versions.node.split(".")[0]')`,
    `if [ "$node_major" -lt ${minimumNodeMajor} ]; then`,
    `  echo "Node.js $node_major is too old: the controller needs ${minimumNodeMajor} or later" >&2`,
    "  exit 1",
    "fi",
    "systemctl enable --now libvirtd.service",
    "",
  ].join("\n");
}

const virsh = "virsh -q -c qemu:///system";

export function renderStorageScript(): string {
  const pool = shellQuote(storagePoolName);
  return [
    scriptHeader("directories and libvirt storage pool"),
    `install -d -m 0755 ${hostLayout.bundle.replace(/\/[^/]+$/, "")}`,
    `install -d -m 0700 ${hostLayout.configFile.replace(/\/[^/]+$/, "")}`,
    // QEMU (as libvirt-qemu) must traverse the state directory to the overlays and serial logs
    // below it; the journal and secrets stay private (the controller sets their modes).
    `install -d -m 0711 ${hostLayout.stateDir}`,
    // QEMU (as libvirt-qemu) must traverse to the base images; listing them is not needed.
    `install -d -m 0711 ${hostLayout.imageDir}`,
    `${virsh} pool-info ${pool} >/dev/null 2>&1 || ${virsh} pool-define-as ${pool} dir --target ${hostLayout.imageDir}`,
    `${virsh} pool-autostart ${pool}`,
    // grep reads to the end (no -q): under pipefail an early exit fails virsh with SIGPIPE.
    `${virsh} pool-info ${pool} | grep -E '^State:[[:space:]]+running' >/dev/null || ${virsh} pool-start ${pool}`,
    "",
  ].join("\n");
}

/** Leaves the images directory alone: removing base images is the BaseImage's job. */
export function renderStorageRemoveScript(): string {
  const pool = shellQuote(storagePoolName);
  return `${virsh} pool-destroy ${pool} 2>/dev/null || true; ${virsh} pool-undefine ${pool} 2>/dev/null || true`;
}

/** The config arrives on stdin (never argv) and is created 0600 root:root in one step. */
export const configInstallCommand = `umask 077 && install -d -m 0700 ${hostLayout.configFile.replace(/\/[^/]+$/, "")} && install -m 0600 -o root -g root /dev/stdin ${hostLayout.configFile}`;

export const configRemoveCommand = `rm -f ${hostLayout.configFile}`;
