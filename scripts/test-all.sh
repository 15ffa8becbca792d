#!/usr/bin/env bash
# Every test, from a fresh Debian 12 machine (as root): install and start what VMs need, install
# the npm dependencies, typecheck, build, build the guest image and the Pulumi CLI (from its Go
# module), then the unit, stack, engine (the real Pulumi CLI), operator (Chromium on the status
# page, a real Prometheus, promtool on the alert rules) and integration (real libvirt VMs) test
# projects. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/node-check.sh
bash scripts/setup-machine.sh
npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck
node scripts/build.mjs --quiet
bash guest/build-image.sh /var/lib/runner-fleet/images/lab
bash scripts/pulumi-tools.sh
# One project at a time: the integration tests boot VMs under software emulation on a small
# machine, and their timings should not compete with hundreds of unit tests for the CPU.
npx vitest run --project unit
npx vitest run --project stack
npx vitest run --project postgres
npx vitest run --project engine
npx vitest run --project operator
# Integration tests fail, rather than skip, when libvirtd is not reachable.
RF_REQUIRE_LIBVIRT=1 npx vitest run --project integration
# What the OpenAPI check saw across the projects (fails on a violation).
npm run --silent openapi-report
