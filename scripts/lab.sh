#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine (as root): install and start what VMs need, install
# the npm dependencies, build the guest image from Debian packages, and run the lab with real VMs.
# Extra arguments go to `fleet lab` (e.g. --jobs 10).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/node-check.sh
bash scripts/setup-machine.sh
npm ci --no-audit --no-fund --loglevel=error
node scripts/build.mjs --quiet
bash guest/build-image.sh /var/lib/runner-fleet/images/lab
exec npm run --silent fleet -- lab --driver libvirt "$@"
