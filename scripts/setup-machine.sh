#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine (as root) to run runner-fleet's lab VMs and to build the
# lab guest image: packages, the libvirt daemons and /dev/kvm access, and QEMU's sandbox back
# where an earlier version turned it off. Idempotent: safe to run any number of times; prints
# one line per step.
set -euo pipefail

readonly URI="qemu:///system"
readonly QEMU_CONF="/etc/libvirt/qemu.conf"
readonly PACKAGES=(
  # VMs: QEMU under libvirt, qcow2 tooling, the NAT network's dnsmasq and iptables
  qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients dnsmasq-base iptables
  # arm64 guests (pools with arch: arm64; the arm64 lab): qemu-system-aarch64
  qemu-system-arm
  # tini reaps QEMU's children at once (without it `virsh destroy` takes ~1.5 s, not ~0.23 s)
  tini
  # guest image: kernel download/unpack, initramfs, root filesystem, module dependency order
  debootstrap busybox-static cpio gzip xz-utils e2fsprogs kmod genisoimage
  # stack tests check rendered libvirt XML (virt-xml-validate needs xmllint) and systemd units
  libxml2-utils systemd
  # operator tests: the status page in a headless browser (driven by npm playwright-core), and a
  # real Prometheus scraping a lab controller plus promtool on the alert rules (the package's
  # init script is kept from starting a server by the policy-rc.d below; tests run their own)
  chromium prometheus
  # the systemd host the host-provisioning test boots (systemd-nspawn) and reaches over SSH
  systemd-container openssh-client iproute2
  # coordination tests and the multi-host lab run private PostgreSQL servers (runtime/lab/postgres-server.ts)
  postgresql
)

step() { printf 'setup-machine: %s\n' "$*"; }

if [[ ${EUID} -ne 0 ]]; then
  echo "setup-machine: must run as root" >&2
  exit 1
fi

# --- packages --------------------------------------------------------------------------------
missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "${package}" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("${package}")
  fi
done
if ((${#missing[@]} > 0)); then
  step "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Without systemd, package scripts would start the daemons through /etc/init.d (libvirtd not
  # under tini); a temporary policy-rc.d stops that, and we start them ourselves below.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
  trap - EXIT
else
  step "packages already installed"
fi

# --- qemu.conf -------------------------------------------------------------------------------
# QEMU keeps libvirt's default seccomp sandbox: lab guests use a libvirt network with the
# project's nwfilter, like production. Earlier versions of this script turned the sandbox off
# for every VM on the machine (the lab's old guestfwd relays); undo exactly that change.
conf_changed=0
sandbox="$(bash "$(dirname "${BASH_SOURCE[0]}")/restore-qemu-sandbox.sh" "${QEMU_CONF}")"
case "${sandbox}" in
  restored)
    conf_changed=1
    step "qemu.conf: removed the seccomp_sandbox = 0 an earlier runner-fleet set-up wrote; QEMU's sandbox is on again"
    ;;
  operator) step "qemu.conf: seccomp_sandbox is the operator's own setting; left alone" ;;
  *) step "qemu.conf: QEMU's seccomp sandbox at libvirt's default (on)" ;;
esac

# --- /dev/kvm ----------------------------------------------------------------------------------
# The lab runs guests under TCG (this machine's /dev/kvm is a nested software hypervisor that
# crashes stock kernels), but libvirt re-probes QEMU on every start (~4.5 s instead of ~0.45 s)
# when the QEMU user cannot open /dev/kvm.
if [[ -e /dev/kvm ]]; then
  getent group kvm >/dev/null || groupadd --system kvm
  chgrp kvm /dev/kvm
  chmod 660 /dev/kvm
  id -nG libvirt-qemu 2>/dev/null | grep -qw kvm || usermod -a -G kvm libvirt-qemu
  step "/dev/kvm: group kvm, mode 660, libvirt-qemu in group kvm"
else
  step "/dev/kvm: absent (TCG only)"
fi

# --- daemons -----------------------------------------------------------------------------------
alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
# Runs a daemon without the descriptors this script inherited: started under
# `flock LOCK bash setup-machine.sh`, libvirtd would otherwise hold LOCK for as long as it runs.
detached() (
  for fd in /proc/self/fd/*; do
    fd="${fd##*/}"
    if ((fd > 2)); then eval "exec ${fd}>&-" 2>/dev/null || true; fi
  done
  exec "$@" </dev/null
)

if [[ -d /run/systemd/system ]]; then
  systemctl enable --now virtlogd.socket libvirtd.socket >/dev/null 2>&1 || true
  if ((conf_changed)); then
    systemctl restart libvirtd
    step "libvirtd restarted (systemd) to read qemu.conf"
  else
    systemctl start virtlogd libvirtd
    step "virtlogd and libvirtd running (systemd)"
  fi
else
  if alive /run/virtlogd.pid; then
    step "virtlogd already running"
  else
    detached virtlogd -d
    step "virtlogd started"
  fi
  if alive /run/libvirtd.pid && ((conf_changed)); then
    pid="$(cat /run/libvirtd.pid)"
    kill -TERM "${pid}"
    for _ in $(seq 1 100); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
    step "libvirtd stopped (pid ${pid}) to read qemu.conf; running domains keep running"
  fi
  if alive /run/libvirtd.pid; then
    step "libvirtd already running"
  else
    mkdir -p /var/log/libvirt
    # tini as a subreaper reaps QEMU at once; setsid detaches both from this shell's session.
    detached setsid -f tini -s -- libvirtd >>/var/log/libvirt/libvirtd.out 2>&1
    step "libvirtd started (tini -s, detached)"
  fi
fi

for _ in $(seq 1 150); do
  if virsh -c "${URI}" version >/dev/null 2>&1; then
    step "libvirt answers on ${URI}: $(virsh -c "${URI}" version | sed -n 's/^Running hypervisor: //p')"
    exit 0
  fi
  sleep 0.2
done
echo "setup-machine: libvirtd did not answer on ${URI} within 30 s (see /var/log/libvirt/libvirtd.out)" >&2
exit 1
