# Sourced by long-running scripts. with_progress LABEL CMD...: runs CMD; on a terminal (stderr
# is a TTY and TERM is not dumb) a status line "LABEL · 42s" is rewritten every second while it
# runs and cleared when it ends. Piped there is none, so logs stay one line per step. Returns
# CMD's exit status. The same convention as the CLI's runtime/cli/progress.ts.
with_progress() {
  local label=$1
  shift
  if [[ ! -t 2 || ${TERM:-dumb} == dumb ]]; then
    "$@"
    return
  fi
  "$@" &
  local pid=$! started=${SECONDS} status=0
  while kill -0 "${pid}" 2>/dev/null; do
    printf '\r\033[2K%s · %ds' "${label}" $((SECONDS - started)) >&2
    sleep 1
  done
  wait "${pid}" || status=$?
  printf '\r\033[2K' >&2
  return "${status}"
}
