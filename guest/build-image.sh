#!/usr/bin/env bash
# Builds the lab guest image from Debian packages only (run as root, after
# scripts/setup-machine.sh):
#
#   guest/build-image.sh [--arch amd64|arm64] [OUTDIR]
#       default OUTDIR: /var/lib/runner-fleet/images/lab (amd64), /var/lib/runner-fleet/images/lab-arm64
#
# --arch arm64 builds an aarch64 guest from Debian's arm64 packages on any host: the packages are
# only unpacked (debootstrap --foreign, dpkg-deb -x), never run, so no arm64 emulation is needed
# to build it; the guest runs under QEMU's `virt` machine (TCG on x86_64 hosts).
#
# Produces, each under a content-addressed name with a plain-named symlink to the newest:
# OUTDIR/vmlinux (the uncompressed ELF kernel: boots ~3 s faster under TCG than the bzImage),
# OUTDIR/initrd.img (busybox-static, the kernel modules, /init), OUTDIR/base.qcow2 (ext4 root:
# Debian minbase, Node 18, the guest agent, our init); and OUTDIR/manifest.json (versions, the
# versioned path and sha256 of each artifact, the kernel command line to use). Use the
# manifest's paths: a rebuild never changes a file an existing overlay is backed by.
#
# Idempotent: when none of its inputs changed (these scripts, the agent bundle, the package
# versions) it does nothing. The debootstrap result and downloaded packages are cached in
# RF_IMAGE_CACHE (default /var/cache/runner-fleet/guest-image).
#
# Environment: RF_DEBIAN_MIRROR (default: the mirror apt is configured with), RF_ROOTFS_SIZE
# (ext4 size the guest sees, default 4G; the qcow2 only stores what is used),
# RF_KERNEL_FLAVOUR (default amd64, i.e. linux-image-amd64; cloud-amd64 works too and needs
# lz4), RF_AGENT_BUNDLE (default: built with scripts/build.mjs).
set -euo pipefail

readonly HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO="$(dirname "${HERE}")"
ARCH=amd64
if [[ ${1:-} == --arch ]]; then
  ARCH="${2:-}"
  shift 2
fi
[[ ${ARCH} == amd64 || ${ARCH} == arm64 ]] || { echo "build-image: error: --arch must be amd64 or arm64, got '${ARCH}'" >&2; exit 2; }
readonly ARCH
readonly DEFAULT_OUTDIR="/var/lib/runner-fleet/images/lab$([[ ${ARCH} == arm64 ]] && echo -arm64)"
readonly OUTDIR="$(realpath -m "${1:-${DEFAULT_OUTDIR}}")"
readonly CACHE="${RF_IMAGE_CACHE:-/var/cache/runner-fleet/guest-image}"
readonly SUITE="bookworm"
readonly ROOTFS_SIZE="${RF_ROOTFS_SIZE:-4G}"
readonly KERNEL_FLAVOUR="${RF_KERNEL_FLAVOUR:-${ARCH}}"
# Node 18 for the agent, busybox-static for networking and poweroff, util-linux's setpriv is in
# minbase already.
readonly ROOTFS_PACKAGES="nodejs,busybox-static"
# The first serial port: the 8250 UART on x86, the PL011 on QEMU's arm `virt` machine.
readonly CONSOLE="$([[ ${ARCH} == arm64 ]] && echo ttyAMA0 || echo ttyS0)"
readonly CMDLINE_BASE="console=${CONSOLE} root=/dev/vda rw quiet panic=-1"
readonly CMDLINE="${CMDLINE_BASE} rf.net=static:10.0.2.15/24:10.0.2.2"
readonly CMDLINE_DHCP="${CMDLINE_BASE} rf.net=dhcp"

started_ns=$(date +%s%N)
step() { printf 'build-image: %s\n' "$*"; }
die() {
  printf 'build-image: error: %s\n' "$*" >&2
  exit 1
}

[[ ${EUID} -eq 0 ]] || die "must run as root (debootstrap, file ownership in the image)"
for tool in apt-get apt-cache dpkg-deb debootstrap modprobe cpio gzip xz mkfs.ext4 qemu-img sha256sum node; do
  command -v "${tool}" >/dev/null || die "${tool} is missing; run scripts/setup-machine.sh first"
done

# The Debian mirror apt uses (deb822 .sources or one-line sources.list), unless overridden.
detect_mirror() {
  local file uri suites
  for file in /etc/apt/sources.list.d/*.sources; do
    [[ -f ${file} ]] || continue
    # Paragraphs with a Suites line naming the release itself (not -security or -updates).
    uri=$(awk -v suite="${SUITE}" '
      BEGIN { RS = ""; FS = "\n" }
      {
        u = ""; s = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); u = a[2] }
          if ($i ~ /^Suites:/) { n = split($i, b, /[ \t]+/); for (j = 2; j <= n; j++) if (b[j] == suite) s = 1 }
        }
        if (u != "" && s) { print u; exit }
      }' "${file}")
    [[ -n ${uri} ]] && { echo "${uri}"; return; }
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f ${file} ]] || continue
    uri=$(awk -v suite="${SUITE}" '$1 == "deb" && $3 == suite { print $2; exit }' "${file}")
    [[ -n ${uri} ]] && { echo "${uri}"; return; }
  done
  return 1
}
MIRROR="${RF_DEBIAN_MIRROR:-$(detect_mirror || true)}"
[[ -n ${MIRROR} ]] || die "no ${SUITE} mirror found in /etc/apt; set RF_DEBIAN_MIRROR"
readonly MIRROR

# apt for the guest's arch. For a foreign arch, a private apt state (its own sources and lists
# under the cache) so the machine's apt configuration is left alone.
APT_OPTS=()
if [[ ${ARCH} != "$(dpkg --print-architecture)" ]]; then
  APT_DIR="${CACHE}/apt-${ARCH}"
  mkdir -p "${APT_DIR}/lists/partial" "${APT_DIR}/cache/archives/partial" "${APT_DIR}/etc/preferences.d"
  printf 'deb [arch=%s] %s %s main\n' "${ARCH}" "${MIRROR}" "${SUITE}" >"${APT_DIR}/etc/sources.list"
  : >"${APT_DIR}/status"
  APT_OPTS=(-o "APT::Architecture=${ARCH}" -o "APT::Architectures=${ARCH}" -o "Dir::State::Lists=${APT_DIR}/lists"
    -o "Dir::State::status=${APT_DIR}/status" -o "Dir::Cache=${APT_DIR}/cache" -o "Dir::Etc::SourceList=${APT_DIR}/etc/sources.list"
    -o "Dir::Etc::SourceParts=-" -o "Dir::Etc::PreferencesParts=${APT_DIR}/etc/preferences.d")
  # Refreshed once a day: the package versions are part of the inputs hash.
  if [[ -z $(find "${APT_DIR}/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 -print -quit) ]]; then
    step "apt: ${ARCH} package lists from ${MIRROR}"
    apt-get -q "${APT_OPTS[@]}" update >/dev/null || die "apt-get update for ${ARCH} failed"
  fi
fi

candidate() { apt-cache "${APT_OPTS[@]}" policy "$1" | awk '/Candidate:/ { print $2; exit }'; }

# --- inputs --------------------------------------------------------------------------------------
if [[ -n ${RF_AGENT_BUNDLE:-} ]]; then
  AGENT_BUNDLE="${RF_AGENT_BUNDLE}"
else
  node "${REPO}/scripts/build.mjs" --quiet
  AGENT_BUNDLE="${REPO}/dist/guest-agent.cjs"
fi
[[ -f ${AGENT_BUNDLE} ]] || die "agent bundle ${AGENT_BUNDLE} is missing"

KERNEL_PACKAGE=$(apt-cache "${APT_OPTS[@]}" depends "linux-image-${KERNEL_FLAVOUR}" | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[[ -n ${KERNEL_PACKAGE} ]] || die "cannot resolve linux-image-${KERNEL_FLAVOUR} to a kernel package (apt-get update?)"
KERNEL_VERSION=$(candidate "${KERNEL_PACKAGE}")
KERNEL_RELEASE="${KERNEL_PACKAGE#linux-image-}"
BUSYBOX_VERSION=$(candidate busybox-static)
[[ -n ${KERNEL_VERSION} && -n ${BUSYBOX_VERSION} ]] || die "kernel or busybox-static not available from apt"

# Everything the debootstrap result depends on: a change builds a fresh one.
ROOTFS_KEY=$(printf '%s\n' "v1" "$([[ ${ARCH} == amd64 ]] || echo "${ARCH}")" "${SUITE}" "${MIRROR}" "${ROOTFS_PACKAGES}" "$(debootstrap --version 2>/dev/null)" |
  sha256sum | cut -c1-16)
INPUTS_HASH=$(
  {
    sha256sum "${HERE}/build-image.sh" "${HERE}/initramfs-init" "${HERE}/guest-init" "${HERE}/udhcpc.script" "${HERE}/net-apply" \
      "${HERE}/modules.txt" "${AGENT_BUNDLE}" | cut -d' ' -f1
    printf '%s\n' "${KERNEL_PACKAGE}=${KERNEL_VERSION}" "busybox-static=${BUSYBOX_VERSION}" "${ROOTFS_KEY}" \
      "${ROOTFS_SIZE}" "${CMDLINE}" "${ARCH}"
  } | sha256sum | cut -c1-64
)

# (-f follows the symlinks to the versioned files the manifest names.)
if [[ -f ${OUTDIR}/manifest.json && -f ${OUTDIR}/vmlinux && -f ${OUTDIR}/initrd.img && -f ${OUTDIR}/base.qcow2 ]] &&
  grep -q "\"inputsHash\": \"${INPUTS_HASH}\"" "${OUTDIR}/manifest.json"; then
  step "up to date: ${OUTDIR} (inputs ${INPUTS_HASH:0:12})"
  exit 0
fi

mkdir -p "${CACHE}/debs" "${OUTDIR}"
WORK=$(mktemp -d "${CACHE}/work.XXXXXX")
trap 'rm -rf "${WORK}"' EXIT

download() { # package version -> path of the .deb in the cache
  local package=$1 version=$2 deb
  deb=$(find "${CACHE}/debs" -maxdepth 1 -name "${package}_${version//:/%3a}_${ARCH}.deb" -print -quit)
  if [[ -z ${deb} ]]; then
    (cd "${CACHE}/debs" && apt-get download -q "${APT_OPTS[@]}" -o APT::Sandbox::User=root "${package}=${version}" >/dev/null)
    deb=$(find "${CACHE}/debs" -maxdepth 1 -name "${package}_${version//:/%3a}_${ARCH}.deb" -print -quit)
  fi
  [[ -n ${deb} ]] || die "could not download ${package}=${version}"
  echo "${deb}"
}

# The bzImage's compressed payload (setup header: payload_offset at 0x248, payload_length at
# 0x24c, after (setup_sects + 1) * 512 bytes) holds the ELF vmlinux; Debian compresses the
# generic flavour with XZ and the cloud flavour with LZ4. The kernel build appends the
# uncompressed size to the payload, which both checks the result and trips some decompressors'
# exit status, so only the result counts.
extract_vmlinux() {
  local bzimage=$1 out=$2 setup_sects offset length start magic expected
  setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "${bzimage}" | tr -d ' ')
  ((setup_sects == 0)) && setup_sects=4
  offset=$(od -An -tu4 -j $((0x248)) -N4 "${bzimage}" | tr -d ' ')
  length=$(od -An -tu4 -j $((0x24c)) -N4 "${bzimage}" | tr -d ' ')
  start=$(((setup_sects + 1) * 512 + offset))
  magic=$(od -An -tx1 -j "${start}" -N4 "${bzimage}" | tr -d ' \n')
  expected=$(od -An -tu4 -j $((start + length - 4)) -N4 "${bzimage}" | tr -d ' ')
  local -a decompress
  case "${magic}" in
    fd377a58) decompress=(xz -dc --single-stream) ;;
    02214c18) decompress=(lz4 -dc) ;;
    28b52ffd) decompress=(zstd -dc) ;;
    1f8b*) decompress=(gzip -dc) ;;
    *) die "unknown compression (magic ${magic}) in ${bzimage}" ;;
  esac
  command -v "${decompress[0]}" >/dev/null || die "${bzimage} is ${decompress[0]}-compressed: install ${decompress[0]}"
  dd if="${bzimage}" iflag=skip_bytes,count_bytes skip="${start}" count="${length}" bs=1M status=none |
    "${decompress[@]}" >"${out}" 2>/dev/null || true
  [[ $(head -c 4 "${out}" | od -An -tx1 | tr -d ' \n') == 7f454c46 && $(stat -c %s "${out}") == "${expected}" ]] ||
    die "could not extract the ELF kernel from ${bzimage} (${decompress[0]}, expected ${expected} bytes)"
}

# --- kernel: vmlinux and modules -------------------------------------------------------------------
KERNEL_DIR="${CACHE}/kernel-${KERNEL_RELEASE}-${KERNEL_VERSION//[:~+]/_}"
if [[ ! -f ${KERNEL_DIR}/.complete ]]; then
  step "kernel: ${KERNEL_PACKAGE} ${KERNEL_VERSION}"
  rm -rf "${KERNEL_DIR}"
  mkdir -p "${KERNEL_DIR}/pkg"
  dpkg-deb -x "$(download "${KERNEL_PACKAGE}" "${KERNEL_VERSION}")" "${KERNEL_DIR}/pkg"
  if [[ ${ARCH} == arm64 ]]; then
    # Debian's arm64 vmlinuz is the plain Image QEMU boots (older builds gzip it).
    if [[ $(od -An -tx1 -N2 "${KERNEL_DIR}/pkg/boot/vmlinuz-${KERNEL_RELEASE}" | tr -d ' ') == 1f8b ]]; then
      gzip -dc "${KERNEL_DIR}/pkg/boot/vmlinuz-${KERNEL_RELEASE}" >"${KERNEL_DIR}/vmlinux"
    else
      cp "${KERNEL_DIR}/pkg/boot/vmlinuz-${KERNEL_RELEASE}" "${KERNEL_DIR}/vmlinux"
    fi
  else
    extract_vmlinux "${KERNEL_DIR}/pkg/boot/vmlinuz-${KERNEL_RELEASE}" "${KERNEL_DIR}/vmlinux"
  fi
  depmod -b "${KERNEL_DIR}/pkg" "${KERNEL_RELEASE}"
  touch "${KERNEL_DIR}/.complete"
else
  step "kernel: ${KERNEL_PACKAGE} ${KERNEL_VERSION} (cached)"
fi

# --- initramfs -------------------------------------------------------------------------------------
step "initramfs: busybox-static ${BUSYBOX_VERSION}, modules from guest/modules.txt"
INITRAMFS="${WORK}/initramfs"
mkdir -p "${INITRAMFS}"/{bin,dev,proc,sys,newroot,lib/modules}
dpkg-deb -x "$(download busybox-static "${BUSYBOX_VERSION}")" "${WORK}/busybox"
cp "${WORK}/busybox/bin/busybox" "${INITRAMFS}/bin/busybox"
: >"${INITRAMFS}/modules.load"
while read -r wanted; do
  [[ -z ${wanted} || ${wanted} == \#* ]] && continue
  # Dependencies first, in the order modprobe would load them.
  while read -r verb path _; do
    [[ ${verb} == insmod ]] || continue
    name=$(basename "${path}")
    grep -qxF "${name}" "${INITRAMFS}/modules.load" && continue
    cp "${path}" "${INITRAMFS}/lib/modules/${name}"
    echo "${name}" >>"${INITRAMFS}/modules.load"
  done < <(modprobe -d "${KERNEL_DIR}/pkg" -S "${KERNEL_RELEASE}" --show-depends "${wanted}")
done <"${HERE}/modules.txt"
install -m 0755 "${HERE}/initramfs-init" "${INITRAMFS}/init"
# Fixed times: the same inputs give the same archive, hence the same versioned file.
find "${INITRAMFS}" -exec touch -h -d @0 {} +
(cd "${INITRAMFS}" && find . -print0 | LC_ALL=C sort -z | cpio --null --quiet -o -H newc --reproducible | gzip -1 -n) \
  >"${WORK}/initrd.img"

# --- root filesystem ---------------------------------------------------------------------------------
# A rootfs of a foreign arch without running any of it: debootstrap's first stage resolves and
# downloads the package set and unpacks the required ones; the rest are unpacked here. No
# maintainer script runs, so what they would make is made here: the accounts (base-passwd's
# masters plus the runner user) and the dynamic linker's cache is left out (glibc searches
# Debian's multiarch directories by default).
foreign_rootfs() {
  local target=$1 deb
  debootstrap --foreign --arch="${ARCH}" --variant=minbase --include="${ROOTFS_PACKAGES}" "${SUITE}" "${target}" "${MIRROR}" \
    >"${WORK}/debootstrap.log" 2>&1 || {
    tail -20 "${WORK}/debootstrap.log" >&2
    die "debootstrap --foreign failed"
  }
  for deb in "${target}"/var/cache/apt/archives/*.deb; do dpkg-deb -x "${deb}" "${target}"; done
  dpkg-deb -f "$(ls "${target}"/var/cache/apt/archives/nodejs_*.deb)" Version >"${target}/.nodejs-version"
  rm -rf "${target}/debootstrap"
  cp "${target}/usr/share/base-passwd/passwd.master" "${target}/etc/passwd"
  cp "${target}/usr/share/base-passwd/group.master" "${target}/etc/group"
  echo "runner:x:1000:1000::/home/runner:/bin/sh" >>"${target}/etc/passwd"
  echo "runner:x:1000:" >>"${target}/etc/group"
  install -d -m 0755 -o 1000 -g 1000 "${target}/home/runner"
}

ROOTFS_CACHE="${CACHE}/rootfs-${ROOTFS_KEY}"
if [[ ! -f ${ROOTFS_CACHE}/.complete ]]; then
  step "rootfs: debootstrap --variant=minbase ${SUITE} from ${MIRROR} (+ ${ROOTFS_PACKAGES}); cached afterwards"
  rm -rf "${ROOTFS_CACHE}"
  if [[ ${ARCH} == "$(dpkg --print-architecture)" ]]; then
    debootstrap --variant=minbase --include="${ROOTFS_PACKAGES}" "${SUITE}" "${ROOTFS_CACHE}.tmp" "${MIRROR}" \
      >"${WORK}/debootstrap.log" 2>&1 || {
      tail -20 "${WORK}/debootstrap.log" >&2
      die "debootstrap failed"
    }
    chroot "${ROOTFS_CACHE}.tmp" useradd --create-home --uid 1000 --user-group --shell /bin/sh runner
  else
    foreign_rootfs "${ROOTFS_CACHE}.tmp"
  fi
  # Nothing in the guest reads docs, manuals, translations or apt's package lists.
  rm -rf "${ROOTFS_CACHE}.tmp"/usr/share/{doc,man,info,locale}/* "${ROOTFS_CACHE}.tmp"/var/lib/apt/lists/* \
    "${ROOTFS_CACHE}.tmp"/var/cache/apt/*.bin "${ROOTFS_CACHE}.tmp"/var/cache/apt/archives/*.deb
  mv "${ROOTFS_CACHE}.tmp" "${ROOTFS_CACHE}"
  touch "${ROOTFS_CACHE}/.complete"
else
  step "rootfs: debootstrap result ${ROOTFS_KEY} (cached)"
fi

ROOTFS="${WORK}/rootfs"
# Hard links: nearly free, and the cache stays untouched because files are only added below.
cp -al "${ROOTFS_CACHE}" "${ROOTFS}"
rm -f "${ROOTFS}/.complete"
install -D -m 0755 "${HERE}/guest-init" "${ROOTFS}/sbin/runner-fleet-init"
install -D -m 0755 "${HERE}/udhcpc.script" "${ROOTFS}/usr/share/runner-fleet/udhcpc.script"
install -D -m 0755 "${HERE}/net-apply" "${ROOTFS}/usr/sbin/runner-fleet-net-apply"
install -D -m 0644 "${AGENT_BUNDLE}" "${ROOTFS}/opt/runner-fleet/guest-agent.cjs"
if [[ -f ${ROOTFS}/.nodejs-version ]]; then
  NODE_VERSION=$(cat "${ROOTFS}/.nodejs-version")
  rm -f "${ROOTFS}/.nodejs-version"
else
  NODE_VERSION=$(chroot "${ROOTFS}" dpkg-query -W -f='${Version}' nodejs)
fi

step "base image: ext4 (${ROOTFS_SIZE}, no journal: the overlay is thrown away) -> qcow2"
truncate -s "${ROOTFS_SIZE}" "${WORK}/root.raw"
mkfs.ext4 -q -F -L rf-root -O ^has_journal -m 0 -d "${ROOTFS}" "${WORK}/root.raw"
qemu-img convert -q -O qcow2 "${WORK}/root.raw" "${WORK}/base.qcow2"
rm -f "${WORK}/root.raw"

# --- outputs ---------------------------------------------------------------------------------------
# Each artifact is stored under a name carrying its content hash and never rewritten: an overlay
# records its backing file's path, so replacing base.qcow2 in place would change the disk under
# every overlay created before the rebuild. The plain names are symlinks to the newest build and
# the manifest names the versioned files; the three newest versions of each are kept.
declare -A PUBLISHED SHA256
publish() { # kind source suffix
  local kind=$1 source=$2 suffix=$3 sha name
  sha=$(sha256sum "${source}" | cut -d' ' -f1)
  name="${kind}-${sha:0:12}${suffix}"
  if [[ ! -f ${OUTDIR}/${name} ]]; then
    install -m 0644 "${source}" "${OUTDIR}/.${name}.tmp"
    mv -f "${OUTDIR}/.${name}.tmp" "${OUTDIR}/${name}"
  fi
  ln -sfn "${name}" "${OUTDIR}/.${kind}${suffix}.link"
  mv -Tf "${OUTDIR}/.${kind}${suffix}.link" "${OUTDIR}/${kind}${suffix}"
  find "${OUTDIR}" -maxdepth 1 -type f -name "${kind}-????????????${suffix}" -printf '%T@ %p\n' |
    sort -rn | tail -n +4 | cut -d' ' -f2- | xargs -r rm -f
  PUBLISHED[${kind}]="${OUTDIR}/${name}"
  SHA256[${kind}]="${sha}"
}
publish vmlinux "${KERNEL_DIR}/vmlinux" ""
publish initrd "${WORK}/initrd.img" ".img"
publish base "${WORK}/base.qcow2" ".qcow2"

M_VMLINUX="${PUBLISHED[vmlinux]}" M_INITRD="${PUBLISHED[initrd]}" M_BASE="${PUBLISHED[base]}" \
  M_VMLINUX_SHA="${SHA256[vmlinux]}" M_INITRD_SHA="${SHA256[initrd]}" M_BASE_SHA="${SHA256[base]}" \
  M_OUTDIR="${OUTDIR}" M_INPUTS_HASH="${INPUTS_HASH}" M_KERNEL_PACKAGE="${KERNEL_PACKAGE}" \
  M_KERNEL_VERSION="${KERNEL_VERSION}" M_KERNEL_RELEASE="${KERNEL_RELEASE}" M_BUSYBOX_VERSION="${BUSYBOX_VERSION}" \
  M_NODE_VERSION="${NODE_VERSION}" M_MIRROR="${MIRROR}" M_SUITE="${SUITE}" M_ROOTFS_SIZE="${ROOTFS_SIZE}" \
  M_CMDLINE="${CMDLINE}" M_CMDLINE_DHCP="${CMDLINE_DHCP}" M_ARCH="${ARCH}" M_BUILD_MS="$((($(date +%s%N) - started_ns) / 1000000))" \
  M_MODULES="$(tr '\n' ' ' <"${INITRAMFS}/modules.load")" \
  node -e '
    const { statSync, writeFileSync, renameSync } = require("node:fs");
    const e = process.env;
    const artifact = (path, sha256) => ({ path, bytes: statSync(path).size, sha256 });
    const manifest = {
      inputsHash: e.M_INPUTS_HASH,
      arch: e.M_ARCH,
      builtAt: new Date().toISOString(),
      buildSeconds: Number(e.M_BUILD_MS) / 1000,
      kernel: { package: e.M_KERNEL_PACKAGE, version: e.M_KERNEL_VERSION, release: e.M_KERNEL_RELEASE },
      packages: { "busybox-static": e.M_BUSYBOX_VERSION, nodejs: e.M_NODE_VERSION },
      debian: { suite: e.M_SUITE, mirror: e.M_MIRROR, variant: "minbase" },
      initramfsModules: e.M_MODULES.trim().split(/\s+/),
      rootfsSize: e.M_ROOTFS_SIZE,
      artifacts: {
        vmlinux: artifact(e.M_VMLINUX, e.M_VMLINUX_SHA),
        initrd: artifact(e.M_INITRD, e.M_INITRD_SHA),
        base: artifact(e.M_BASE, e.M_BASE_SHA),
      },
      cmdline: e.M_CMDLINE,
      cmdlineDhcp: e.M_CMDLINE_DHCP,
    };
    writeFileSync(`${e.M_OUTDIR}/.manifest.json.tmp`, JSON.stringify(manifest, null, 2) + "\n", { mode: 0o644 });
    renameSync(`${e.M_OUTDIR}/.manifest.json.tmp`, `${e.M_OUTDIR}/manifest.json`);
  '
elapsed_ms=$((($(date +%s%N) - started_ns) / 1000000))
step "done: ${PUBLISHED[base]} ($(du -h --apparent-size "${PUBLISHED[base]}" | cut -f1)) in $((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100)) s"
