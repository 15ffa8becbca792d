/**
 * Building blocks for the shell scripts the stack runs on hosts (delivered on stdin, never
 * interpolated into argv). Values that reach a script are either validated config or quoted here.
 */

/** Single-quotes a word for POSIX shells. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const delimiter = "RUNNER_FLEET_EOF";

/**
 * A heredoc that writes `content` verbatim to `path` with `mode` (quoted delimiter: no expansion).
 * The file is created by `install` from a temp file so it never exists with a wider mode.
 */
export function writeFileScript(path: string, content: string, mode = "0644"): string {
  if (content.split("\n").includes(delimiter)) throw new Error(`content for ${path} contains the heredoc delimiter`);
  const body = content.endsWith("\n") ? content : `${content}\n`;
  return [
    `tmp_file=$(mktemp)`,
    `cat > "$tmp_file" <<'${delimiter}'`,
    `${body}${delimiter}`,
    `install -D -m ${mode} -o root -g root "$tmp_file" ${shellQuote(path)}`,
    `rm -f "$tmp_file"`,
  ].join("\n");
}

/** `set -euo pipefail` plus a header naming what the script is for (it shows in logs). */
export function scriptHeader(purpose: string): string {
  return ["#!/bin/bash", `# runner-fleet: ${purpose}`, "set -euo pipefail", "export LC_ALL=C"].join("\n");
}
