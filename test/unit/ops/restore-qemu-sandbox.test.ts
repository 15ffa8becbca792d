// scripts/restore-qemu-sandbox.sh (run by scripts/setup-machine.sh): undoes exactly the
// `seccomp_sandbox = 0` an earlier runner-fleet set-up appended to qemu.conf, nothing else.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "rf-qemu-conf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stock = "# Use seccomp syscall filtering sandbox in QEMU.\n#seccomp_sandbox = 1\n\n#user = \"root\"\n";
const oldBlock = "\n# runner-fleet (scripts/setup-machine.sh): guestfwd -cmd relays need spawn\nseccomp_sandbox = 0\n";
let n = 0;

function restore(content: string): { state: string; after: string } {
  const file = join(dir, `qemu-${++n}.conf`);
  writeFileSync(file, content);
  const state = execFileSync("bash", ["scripts/restore-qemu-sandbox.sh", file], { encoding: "utf8" }).trim();
  return { state, after: readFileSync(file, "utf8") };
}

describe("restore-qemu-sandbox.sh", () => {
  it.each([
    ["what an earlier set-up appended", stock + oldBlock, "restored", stock],
    ["the same, with an operator's line after it", stock + oldBlock + "max_files = 4096\n", "restored", stock + "max_files = 4096\n"],
    ["a stock file", stock, "default", stock],
    ["an operator's own seccomp_sandbox = 0", stock + "seccomp_sandbox = 0\n", "operator", stock + "seccomp_sandbox = 0\n"],
    ["the mark without the setting after it", stock + "# runner-fleet (scripts/setup-machine.sh): guestfwd -cmd relays need spawn\nseccomp_sandbox = 1\n", "operator", stock + "# runner-fleet (scripts/setup-machine.sh): guestfwd -cmd relays need spawn\nseccomp_sandbox = 1\n"],
  ])("%s → %s", (_what, before, state, after) => {
    expect(restore(before)).toEqual({ state, after });
  });

  it("is idempotent", () => {
    const once = restore(stock + oldBlock).after;
    expect(restore(once)).toEqual({ state: "default", after: stock });
  });
});
