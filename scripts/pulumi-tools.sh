#!/usr/bin/env bash
# Builds the Pulumi tooling the stack needs from published Go modules, once per version set:
#
#   bash scripts/pulumi-tools.sh            build what is missing, print what is where
#   bash scripts/pulumi-tools.sh --check    build nothing; exit 1 unless the CLI is built
#
# What it builds, exactly the versions the npm packages expect (package.json):
#   pulumi v3.248.0   module github.com/pulumi/pulumi/pkg/v3 through our wrapper tools/pulumi/cli
# What it would also need, and asks the Go module proxy for on every run (see README, "The real
# Pulumi engine"): the Node.js language host and the command 1.2.1 and github 6.15.0 provider
# plugins. The proxy this project's machines reach refuses those modules (403), so they are
# reported as unavailable, never faked.
#
# Output: RF_PULUMI_TOOLS (default /var/cache/runner-fleet/pulumi-tools)/<key>/bin/pulumi, where
# <key> hashes the wrapper's go.mod and go.sum and the Go version, so a second run takes seconds
# and a fresh clone on the same machine reuses the build. The gitignored link .tools/pulumi points
# at the current one; scripts/pulumi.sh runs it. Go's module and build caches are Go's defaults.
set -euo pipefail

readonly REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly WRAPPER="${REPO}/tools/pulumi/cli"
readonly CACHE="${RF_PULUMI_TOOLS:-/var/cache/runner-fleet/pulumi-tools}"
readonly CLI_VERSION="v3.248.0"
readonly LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${CLI_VERSION}"
# module@version (pseudo-versions of the tagged release commits) and the plugin each one would give.
readonly UNAVAILABLE_PROBES=(
  "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v3.0.0-20260624180030-dc7edd58bc13 pulumi-language-nodejs (commit of tag pkg/v3.248.0)"
  "github.com/pulumi/pulumi-command/provider@v0.0.0-20260303235922-7f3eb6f3b77c pulumi-resource-command 1.2.1"
  "github.com/pulumi/pulumi-github/provider/v6@v6.0.0-20260814162548-e46c2bbdc297 pulumi-resource-github 6.15.0"
)

# shellcheck source=scripts/progress.sh
source "${REPO}/scripts/progress.sh"

say() { printf 'pulumi-tools: %s\n' "$*"; }
die() {
  printf 'pulumi-tools: error: %s\n' "$*" >&2
  exit 1
}

command -v go >/dev/null || die "go is missing (Go 1.26 builds the Pulumi CLI from its Go module)"

version_key() {
  { cat "${WRAPPER}/go.mod" "${WRAPPER}/go.sum"; go env GOVERSION GOOS GOARCH; echo "${LDFLAGS}"; } | sha256sum | cut -c1-16
}

link_current() {
  mkdir -p "${REPO}/.tools"
  ln -sfn "$1" "${REPO}/.tools/pulumi"
}

build_cli() {
  local out="$1" started
  started=$(date +%s)
  say "building pulumi ${CLI_VERSION} from github.com/pulumi/pulumi/pkg/v3 (cold: about 3 min on 2 cores)"
  mkdir -p "${out}/bin.partial"
  if ! with_progress "pulumi-tools: go build" bash -c 'cd "$1" && CGO_ENABLED=0 go build -trimpath -ldflags "$2" -o "$3" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >"$4" 2>&1' _ "${WRAPPER}" "${LDFLAGS}" "${out}/bin.partial/pulumi" "${out}/build.log"; then
    tail -n 30 "${out}/build.log" >&2
    die "go build failed (whole log: ${out}/build.log)"
  fi
  local printed
  printed="$("${out}/bin.partial/pulumi" version)"
  [[ ${printed} == "${CLI_VERSION}" ]] || die "built pulumi reports '${printed}', expected ${CLI_VERSION}"
  rm -rf "${out}/bin"
  mv "${out}/bin.partial" "${out}/bin"
  say "built pulumi ${CLI_VERSION} in $(($(date +%s) - started)) s"
}

# One line per module the stack also needs: whether this machine's Go module proxy serves it.
probe_unavailable() {
  local probe module plugin answer
  for probe in "${UNAVAILABLE_PROBES[@]}"; do
    module="${probe%% *}"
    plugin="${probe#* }"
    if answer="$(cd "${WRAPPER}" && GOFLAGS=-mod=mod go list -m -json "${module}" 2>&1)"; then
      say "${plugin}: ${module} is now served; the stack lab can be completed (README, \"The real Pulumi engine\")"
    else
      say "${plugin}: unavailable: the Go module proxy refuses ${module} ($(grep -o '[0-9]\{3\} [A-Za-z ]*' <<<"${answer}" | head -1))"
    fi
  done
}

main() {
  local key dir
  key="$(version_key)"
  dir="${CACHE}/${key}"
  if [[ ${1:-} == "--check" ]]; then
    [[ -x ${dir}/bin/pulumi ]] || die "the Pulumi CLI is not built; run bash scripts/pulumi-tools.sh"
    link_current "${dir}"
    return 0
  fi
  if [[ -x ${dir}/bin/pulumi ]]; then
    say "pulumi ${CLI_VERSION} already built (key ${key})"
  else
    build_cli "${dir}"
  fi
  link_current "${dir}"
  say "cli: ${dir}/bin/pulumi (linked as .tools/pulumi)"
  [[ ${RF_PULUMI_PROBE:-1} == 0 ]] || probe_unavailable
}

main "$@"
