#!/usr/bin/env bash
# Measures building the Pulumi tooling (scripts/pulumi-tools.sh):
#
#   bash bench/pulumi-tools.sh [--json]
#
# cold: empty Go module and build caches and an empty tools cache, in a temporary folder, as on a
#       new machine (the module downloads come from the Go module proxy);
# warm: the same caches again, nothing changed (what every later run of the test command costs).
# The last line with --json is one JSON object: cold_s, warm_s.
# The engine operations a user would time next (preview, up, no-op up, destroy) cannot run on
# these machines: see README, "The real Pulumi engine".
set -euo pipefail

readonly REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="$(mktemp -d /var/tmp/rf-pulumi-bench.XXXXXX)"
# Go marks module cache files read-only.
trap 'chmod -R u+w "${scratch}" 2>/dev/null; rm -rf "${scratch}"' EXIT

timed_build() {
  local started
  started=$(date +%s%N)
  GOPATH="${scratch}/gopath" GOMODCACHE="${scratch}/mod" GOCACHE="${scratch}/cache" RF_PULUMI_TOOLS="${scratch}/tools" RF_PULUMI_PROBE=0 \
    bash "${REPO}/scripts/pulumi-tools.sh" >"${scratch}/last.log" 2>&1 || {
    cat "${scratch}/last.log" >&2
    exit 1
  }
  echo $((($(date +%s%N) - started) / 1000000))
}

cold_ms=$(timed_build)
rm -rf "${scratch}/tools" # keep Go's caches: a rebuilt binary, as after a version-key change
rebuild_ms=$(timed_build)
warm_ms=$(timed_build)
# The measurements linked .tools/pulumi at the scratch build; point it back at the real one.
RF_PULUMI_PROBE=0 bash "${REPO}/scripts/pulumi-tools.sh" >/dev/null

seconds() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
printf 'pulumi tools (CLI v3.248.0 from Go modules), %s cores\n' "$(nproc)"
printf '  cold build (empty caches)          %6s s\n' "$(seconds "${cold_ms}")"
printf '  rebuild (Go caches warm)           %6s s\n' "$(seconds "${rebuild_ms}")"
printf '  warm (already built)               %6s s\n' "$(seconds "${warm_ms}")"
if [[ ${1:-} == "--json" ]]; then
  printf '{"cold_s":%s,"rebuild_s":%s,"warm_s":%s}\n' "$(seconds "${cold_ms}")" "$(seconds "${rebuild_ms}")" "$(seconds "${warm_ms}")"
fi
