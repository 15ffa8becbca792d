#!/usr/bin/env bash
# Compares the bench and the lab of two revisions in one run, on this machine, as root:
#
#   bench/compare-revisions.sh OLD NEW [ROUNDS]      e.g. bench/compare-revisions.sh 313ef89 main 2
#
# Checks each revision out into a temporary worktree (node_modules linked from this checkout),
# builds it and its own guest image (/var/lib/runner-fleet/images/compare-<commit>; the shared lab
# image is never touched), then runs, ROUNDS times, old then new: `fleet lab --json` (timed) and
# `bench --json`, all under the VM lock (/tmp/runner-fleet-vm.lock, taken once: every run sees
# the same machine, and no other user's VMs in between). Interleaving cancels the machine's drift; the table
# shows each figure's median over the rounds, old beside new. Raw outputs stay in the printed
# directory. Environment: RF_COMPARE_BENCH_ARGS (extra bench flags, e.g. "--burst-jobs 10"),
# RF_COMPARE_LAB_ARGS (e.g. "--jobs 5"), RF_COMPARE_SKIP_BENCH=1, RF_COMPARE_SKIP_LAB=1.
#
# A revision from before issue 14's network series (its lab used QEMU's user-mode network with a
# `guestfwd -cmd` relay, which QEMU's seccomp sandbox refuses to spawn) runs its domains through a
# wrapper emulator that drops QEMU's `-sandbox` argument: for that revision's own domains only,
# with no change to /etc/libvirt/qemu.conf and no libvirtd restart. (The other way, setting
# `seccomp_sandbox = 0` there for the old run, needs libvirtd restarted twice on a shared machine;
# scripts/restore-qemu-sandbox.sh would undo it.) The wrapper is removed at the end.
set -euo pipefail

readonly REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly LOCK=/tmp/runner-fleet-vm.lock
[[ $# -ge 2 ]] || {
  echo "usage: bench/compare-revisions.sh OLD NEW [ROUNDS]" >&2
  exit 2
}
[[ ${EUID} -eq 0 ]] || {
  echo "compare-revisions: must run as root (libvirt, guest images)" >&2
  exit 2
}
readonly ROUNDS="${3:-2}"
readonly WORK="$(mktemp -d /tmp/rf-compare-XXXXXX)"
readonly WRAPPER=/var/lib/runner-fleet/compare/qemu-no-seccomp
say() { printf 'compare: %s\n' "$*" >&2; }

declare -A COMMIT TREE IMAGES
cleanup() {
  for label in old new; do
    [[ -n ${TREE[${label}]:-} ]] && git -C "${REPO}" worktree remove --force "${TREE[${label}]}" 2>/dev/null || true
  done
  rm -f "${WRAPPER}"
}
trap cleanup EXIT

# The wrapper: QEMU exactly as libvirt starts it, minus `-sandbox VALUE`.
needs_wrapper() { git -C "$1" grep -q "guestfwd" -- runtime/hypervisor/libvirt/domain-xml.ts; }
make_wrapper() {
  mkdir -p "$(dirname "${WRAPPER}")"
  cat >"${WRAPPER}" <<'EOF'
#!/bin/sh
skip=0
for arg; do
  shift
  if [ "${skip}" = 1 ]; then skip=0; continue; fi
  if [ "${arg}" = "-sandbox" ]; then skip=1; continue; fi
  set -- "$@" "${arg}"
done
exec /usr/bin/qemu-system-x86_64 "$@"
EOF
  chmod 755 "${WRAPPER}"
  # libvirt probes a new emulator once (seconds): do it now, not inside the first timed run.
  virsh -c qemu:///system domcapabilities --emulatorbin "${WRAPPER}" --virttype qemu >/dev/null
}

prepare() {
  local label="$1" rev="$2" tree
  COMMIT[${label}]="$(git -C "${REPO}" rev-parse --verify "${rev}^{commit}")"
  tree="${WORK}/${label}"
  TREE[${label}]="${tree}"
  git -C "${REPO}" worktree add --detach --quiet "${tree}" "${COMMIT[${label}]}"
  ln -s "$(readlink -f "${REPO}/node_modules")" "${tree}/node_modules"
  if needs_wrapper "${tree}"; then
    say "${label} (${COMMIT[${label}]:0:10}) uses guestfwd: its domains run QEMU through ${WRAPPER} (no seccomp sandbox)"
    [[ -x ${WRAPPER} ]] || make_wrapper
    perl -0pi -e "s{lines\\.push\\(\`  <devices>\`\\);}{lines.push(\`  <devices>\`);\\n  lines.push(\`    <emulator>${WRAPPER}</emulator>\`);}" \
      "${tree}/runtime/hypervisor/libvirt/domain-xml.ts"
    grep -q "<emulator>${WRAPPER}</emulator>" "${tree}/runtime/hypervisor/libvirt/domain-xml.ts" || {
      echo "compare-revisions: could not point ${label}'s domains at the wrapper" >&2
      exit 1
    }
    # Its define-time check reads libvirt's planned command line, which still names -sandbox.
    perl -pi -e 's{!sandboxDeniesSpawn\(argv\)}{!sandboxDeniesSpawn(argv.replace(/(^|\\s)-sandbox\\s+\\S+/g, "\$1"))}' \
      "${tree}/runtime/hypervisor/libvirt/libvirt-hypervisor.ts"
  fi
  (cd "${tree}" && node scripts/build.mjs --quiet)
  IMAGES[${label}]="/var/lib/runner-fleet/images/compare-${COMMIT[${label}]:0:12}"
  say "${label}: building its guest image into ${IMAGES[${label}]}"
  (cd "${tree}" && bash guest/build-image.sh "${IMAGES[${label}]}" >"${WORK}/image-${label}.log" 2>&1)
}

run_bench() {
  local label="$1" round="$2"
  say "round ${round}: bench, ${label}"
  # shellcheck disable=SC2086 # extra flags split on purpose
  (cd "${TREE[${label}]}" && env RF_LAB_IMAGE_DIR="${IMAGES[${label}]}" \
    node --enable-source-maps dist/bench.cjs --json --image-dir "${IMAGES[${label}]}" ${RF_COMPARE_BENCH_ARGS:-}) \
    >"${WORK}/bench-${label}-${round}.txt" 2>"${WORK}/bench-${label}-${round}.err" || say "bench ${label} round ${round} exited $?"
}

run_lab() {
  local label="$1" round="$2" started ended
  say "round ${round}: lab, ${label}"
  # shellcheck disable=SC2086
  (cd "${TREE[${label}]}" && bash -c '
      started=$(date +%s%N)
      RF_LAB_IMAGE_DIR="$1" node --enable-source-maps dist/fleet.cjs lab --driver libvirt --image-dir "$1" --json ${2} >"$3" 2>"$4" || echo "lab exited $?" >&2
      echo $((($(date +%s%N) - started) / 1000000)) >"$5"' _ "${IMAGES[${label}]}" "${RF_COMPARE_LAB_ARGS:-}" \
    "${WORK}/lab-${label}-${round}.json" "${WORK}/lab-${label}-${round}.err" "${WORK}/lab-${label}-${round}.wall")
}

prepare old "$1"
prepare new "$2"
say "waiting for the VM lock ${LOCK}"
exec 9>>"${LOCK}"
flock 9
for round in $(seq 1 "${ROUNDS}"); do
  for label in old new; do
    [[ ${RF_COMPARE_SKIP_LAB:-0} == 1 ]] || run_lab "${label}" "${round}"
    [[ ${RF_COMPARE_SKIP_BENCH:-0} == 1 ]] || run_bench "${label}" "${round}"
  done
done

flock -u 9
say "raw outputs: ${WORK}"
node "${REPO}/bench/compare-summary.mjs" "${WORK}" "${COMMIT[old]}" "${COMMIT[new]}"
