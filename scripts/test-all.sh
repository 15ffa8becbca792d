#!/usr/bin/env bash
# Every test, from a fresh Debian 12 machine (as root): install and start what VMs need, install
# the npm dependencies, typecheck, build, build the guest image, then the unit, stack and
# integration (real libvirt VMs) test projects. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/node-check.sh
bash scripts/setup-machine.sh
npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck
node scripts/build.mjs --quiet
bash guest/build-image.sh /var/lib/runner-fleet/images/lab
# Integration tests fail, rather than skip, when libvirtd is not reachable.
export RF_REQUIRE_LIBVIRT=1
exec npx vitest run
