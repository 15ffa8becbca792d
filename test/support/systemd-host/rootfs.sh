#!/usr/bin/env bash
# A Debian 12 root filesystem that boots with systemd as PID 1 under systemd-nspawn, with sshd, to
# stand as a real host that the stack's host scripts provision over SSH (test/support/systemd-host.ts).
#
#   rootfs.sh CACHE_DIR PACKAGE...     prints the rootfs path on its last line
#
# PACKAGE... are the host packages the stack installs (hostPackages()): they are preinstalled so
# the packages script finds them and only refreshes apt's lists. Cached by the package list and
# this script: a second run prints the same path at once.
set -euo pipefail

readonly CACHE="$1"
shift
readonly BASE_PACKAGES="systemd,systemd-sysv,dbus,openssh-server,iproute2,libpam-systemd"
readonly HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
key=$({ cat "${BASH_SOURCE[0]}"; echo "${BASE_PACKAGES} $*"; } | sha256sum | cut -c1-16)
readonly ROOTFS="${CACHE}/rootfs-${key}"

if [[ -f ${ROOTFS}/.complete ]]; then
  echo "${ROOTFS}"
  exit 0
fi

mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror="${RF_DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}"
rm -rf "${ROOTFS}.partial"
mkdir -p "${CACHE}"
packages="${BASE_PACKAGES}$(printf ',%s' "$@")"
if ! debootstrap --variant=minbase --include="${packages}" bookworm "${ROOTFS}.partial" "${mirror}" \
  >"${CACHE}/debootstrap.log" 2>&1; then
  # polkitd (pulled in by libvirt) needs logind at configure time; configure again once systemd is in.
  chroot "${ROOTFS}.partial" dpkg --configure -a >>"${CACHE}/debootstrap.log" 2>&1 || {
    tail -n 30 "${CACHE}/debootstrap.log" >&2
    exit 1
  }
fi
# Properties of this container host, not of real hosts: cgroups are v1 and read-only inside the
# container, so libvirt must not try to create cgroup controllers for QEMU.
printf '\n# runner-fleet test container (test/support/systemd-host/rootfs.sh)\ncgroup_controllers = [ ]\n' \
  >>"${ROOTFS}.partial/etc/libvirt/qemu.conf"
# Nothing in the container may take the machine's port 22 or wait for a network manager.
echo "systemd-host" >"${ROOTFS}.partial/etc/hostname"
install -d -m 0700 "${ROOTFS}.partial/root/.ssh"
touch "${ROOTFS}.partial/.complete"
mv "${ROOTFS}.partial" "${ROOTFS}"
echo "${ROOTFS}"
