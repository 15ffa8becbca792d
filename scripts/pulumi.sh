#!/usr/bin/env bash
# Runs the Pulumi CLI that scripts/pulumi-tools.sh built, with offline settings:
#
#   bash scripts/pulumi.sh version          prints v3.248.0
#   bash scripts/pulumi.sh preview ...      any pulumi command, from the project folder
#
# Settings, each unless already set in the environment:
#   PULUMI_HOME          .tools/pulumi-home (plugins and the CLI's own state stay in the project)
#   PULUMI_BACKEND_URL   file://<project>/.pulumi-state (a file backend; no login, no network)
#   automatic plugin acquisition and update checks off (nothing is downloaded).
# The lab only (RF_PULUMI_LAB=1): a fixed passphrase for the passphrase secrets provider. Anywhere
# else the passphrase is yours to give (PULUMI_CONFIG_PASSPHRASE or _FILE), or use another
# secrets provider.
set -euo pipefail

readonly REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

bash "${REPO}/scripts/pulumi-tools.sh" --check
readonly TOOLS="${REPO}/.tools/pulumi"

export PULUMI_HOME="${PULUMI_HOME:-${REPO}/.tools/pulumi-home}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://${REPO}/.pulumi-state}"
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_UPDATE_CHECK=true
if [[ ${RF_PULUMI_LAB:-0} == 1 ]]; then
  export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-runner-fleet-lab}"
fi
# The engine looks for language hosts and plugins next to the CLI and on PATH.
export PATH="${TOOLS}/bin:${PATH}"
mkdir -p "${PULUMI_HOME}"
[[ ${PULUMI_BACKEND_URL} != file://* ]] || mkdir -p "${PULUMI_BACKEND_URL#file://}"

cd "${REPO}"
exec "${TOOLS}/bin/pulumi" "$@"
