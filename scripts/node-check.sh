#!/usr/bin/env bash
# Fails with a clear message unless Node.js 20.19+ and npm are on PATH (the project's runtime).
set -euo pipefail
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "runner-fleet needs Node.js 20.19 or newer with npm (https://nodejs.org or your distribution's backports)" >&2
  exit 1
fi
major_minor="$(node -p 'process.versions.node.split(".").slice(0, 2).join(" ")')"
read -r major minor <<<"${major_minor}"
if ((major < 20 || (major == 20 && minor < 19))); then
  echo "runner-fleet needs Node.js 20.19 or newer; this is $(node --version)" >&2
  exit 1
fi
