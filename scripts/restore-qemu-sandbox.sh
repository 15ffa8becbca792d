#!/usr/bin/env bash
# Gives QEMU its seccomp sandbox back where an earlier runner-fleet set-up took it away.
# Earlier versions of scripts/setup-machine.sh appended, for the lab's old user-mode network:
#
#   # runner-fleet (scripts/setup-machine.sh): guestfwd -cmd relays need spawn
#   seccomp_sandbox = 0
#
# This removes exactly that (and the blank line written before it). Any other seccomp_sandbox
# line is an operator's own choice and stays. Usage: restore-qemu-sandbox.sh [QEMU_CONF]
# Prints one of: restored, operator, default. Exit 0; 1 if the file cannot be read or written.
set -euo pipefail

readonly CONF="${1:-/etc/libvirt/qemu.conf}"
readonly MARK='# runner-fleet (scripts/setup-machine.sh): guestfwd -cmd relays need spawn'

state=default
if grep -qxF "${MARK}" "${CONF}"; then
  restored="$(
    awk -v mark="${MARK}" '
      { line[NR] = $0 }
      END {
        for (i = 1; i <= NR; i++) {
          if (line[i] == mark && line[i + 1] ~ /^[ \t]*seccomp_sandbox[ \t]*=[ \t]*0[ \t]*$/) {
            if (n > 0 && kept[n] == "") n--
            i++
            continue
          }
          kept[++n] = line[i]
        }
        for (i = 1; i <= n; i++) print kept[i]
      }' "${CONF}"
  )"
  if [[ ${restored} != "$(cat "${CONF}")" ]]; then
    # Written in place (not moved over it): the file keeps its owner, mode and labels.
    printf '%s\n' "${restored}" >"${CONF}"
    state=restored
  fi
fi
if [[ ${state} == default ]] && grep -qE '^[[:space:]]*seccomp_sandbox[[:space:]]*=' "${CONF}"; then
  state=operator
fi
echo "${state}"
