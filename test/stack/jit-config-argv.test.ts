/**
 * The JIT config never reaches a command line. Every script the stack ships (each command's
 * create/update/delete line and stdin, and the scripts, units and cloud-init documents embedded in
 * them), the systemd units and every script under guest/ is parsed into commands, and the config
 * is followed from the fw_cfg file that holds it through variables and substitutions to argv.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { jitConfigEnvVar, renderJitStartScript, renderJitUnit, runnerDir } from "../../components/image-recipe.ts";
import type { ImageRecipe } from "../../components/image-recipe.ts";
import { renderUnits } from "../../components/systemd-units.ts";
import { jitConfigFwCfgName, jitConfigSysfsPath } from "../../runtime/protocol/fw-cfg.ts";
import { devRepositories, devStack } from "./support/dev-stack.ts";
import { runProgram } from "./support/mock-program.ts";
import { findArgvLeaks, parseCommands, unitExecLines } from "./support/script-argv.ts";
import { reveal } from "./support/secret-inputs.ts";

const flow = { paths: [jitConfigSysfsPath, jitConfigFwCfgName], variables: [jitConfigEnvVar] };
const fw = jitConfigSysfsPath;
const leaksIn = (script: string) => findArgvLeaks(script, flow).leaks;

describe("the argv analyser", () => {
  // The production start script before this check existed: the config on run.sh's command line.
  const before = [`config=${fw}`, `cd /opt/actions-runner`, `exec runuser -u runner -- ./run.sh --jitconfig "$(cat "$config")"`].join("\n");

  it.each([
    ["the old production start script", before],
    ["a literal path", `./run.sh --jitconfig $(cat ${fw})`],
    ["backticks", `./run.sh --jitconfig \`cat ${fw}\``],
    ["$(<file)", `c=${fw}\n./run.sh --jitconfig "$(<"$c")"`],
    ["through a variable", `c=${fw}\nsecret=$(cat "$c")\n./run.sh --jitconfig "$secret"`],
    ["through two variables", `c=${fw}\nexport s=$(base64 -d "$c")\nt="x$s"\nenv A=1 ./run.sh --jitconfig="$t"`],
    ["read from the file", `read -r cfg <${fw}\n./run.sh --jitconfig "\${cfg}"`],
    ["read from a pipe", `cat ${fw} | read -r cfg\nrunuser -u r -- ./run.sh --jitconfig "$cfg"`],
    ["xargs", `cat "${fw}" | xargs ./run.sh --jitconfig`],
    ["sh -c", `sh -c './run.sh --jitconfig "$(cat ${fw})"'`],
    ["the environment variable echoed", `export ${jitConfigEnvVar}=$(cat ${fw})\necho "$${jitConfigEnvVar}"`],
    ["xtrace", `set -eux\nc=$(cat ${fw})\nexport ${jitConfigEnvVar}="$c"`],
    ["a line continuation", `runuser -u r -- ./run.sh \\\n  --jitconfig "$(cat \\\n ${fw})"`],
  ])("finds %s", (_, script) => {
    expect(leaksIn(script).length).toBeGreaterThan(0);
  });

  it.each([
    ["the environment", `c=${fw}\n${jitConfigEnvVar}=$(cat "$c")\nexport ${jitConfigEnvVar}\nexec runuser -u r -- ./run.sh`],
    ["stdin", `readonly J=${fw}\nsetpriv --reuid=r node agent.cjs <"\${J}"`],
    ["a pipe into a program", `cat "${fw}" | node agent.cjs`],
    ["the path itself", `./agent --jit-config-file "${fw}"\n[ -r "${fw}" ] || echo "no config at ${fw}"`],
    ["a quoted heredoc", `cat <<'EOF' >/tmp/x\n./run.sh --jitconfig "$(cat ${fw})"\nEOF\ntrue`],
    ["xtrace turned off first", `set -x\nset +x\n${jitConfigEnvVar}=$(cat ${fw}) exec ./run.sh`],
    ["single quotes", `echo './run.sh --jitconfig "$(cat ${fw})"' >/dev/null`],
  ])("passes %s", (_, script) => {
    expect(leaksIn(script)).toEqual([]);
  });

  it("splits commands the way a shell does", () => {
    const commands = parseCommands(`A=1 B="x y" cmd 'a b' "c $(d e)" 2>&1 >out | next <in && f; g\nh \\\n i`);
    expect(commands.map((c) => [c.assignments, c.argv, c.redirects.map((r) => `${r.op}${r.target}`), c.pipeIndex])).toEqual([
      [["A=1", 'B="x y"'], ["cmd", "'a b'", '"c $(d e)"'], [">&1", ">out"], 0],
      [[], ["next"], ["<in"], 1],
      [[], ["f"], [], 0],
      [[], ["g"], [], 0],
      [[], ["h", "i"], [], 0],
    ]);
  });

  it("refuses a script it cannot parse, rather than passing it", () => {
    expect(() => parseCommands(`echo "unterminated`)).toThrow(/line 1: unterminated double quote/);
    expect(() => parseCommands(`cat <<EOF\nbody`)).toThrow(/heredoc EOF is not closed/);
  });
});

interface Document {
  origin: string;
  kind: "script" | "unit";
  text: string;
}

/** Scripts, units and cloud-init documents carried inside `text` as base64 (recursively). */
function embedded(origin: string, text: string): Document[] {
  const found: Document[] = [];
  for (const match of text.matchAll(/[A-Za-z0-9+/]{40,}={0,2}/g)) {
    const decoded = Buffer.from(match[0], "base64").toString("utf8");
    if (Buffer.from(decoded, "utf8").toString("base64") !== match[0]) continue;
    const where = `${origin} > base64 at ${match.index}`;
    if (decoded.startsWith("#!")) found.push({ origin: where, kind: "script", text: decoded });
    else if (/^\[Unit\]/m.test(decoded)) found.push({ origin: where, kind: "unit", text: decoded });
    found.push(...embedded(where, decoded));
  }
  return found;
}

async function everyDocument(): Promise<Document[]> {
  const docs: Document[] = [];
  const { recorder } = await runProgram(devStack().config, devRepositories);
  for (const command of recorder.custom().filter((r) => r.type.startsWith("command:"))) {
    for (const field of ["create", "update", "delete", "stdin"] as const) {
      const value = reveal<unknown>(command.inputs[field]);
      if (typeof value !== "string") continue;
      docs.push({ origin: `${command.name}.${field}`, kind: "script", text: value });
      docs.push(...embedded(`${command.name}.${field}`, value));
    }
  }
  for (const [name, unit] of Object.entries(renderUnits({ listenPort: 9090 }))) docs.push({ origin: `unit ${name}`, kind: "unit", text: unit });
  const guestDir = fileURLToPath(new URL("../../guest/", import.meta.url));
  for (const name of readdirSync(guestDir)) {
    const text = readFileSync(join(guestDir, name), "utf8");
    if (text.startsWith("#!")) docs.push({ origin: `guest/${name}`, kind: "script", text });
  }
  return docs;
}

describe("every script the stack and the lab image run", () => {
  it("keeps the JIT config off every command line", async () => {
    const docs = await everyDocument();
    const analysed = docs.map((doc) => {
      const scripts = doc.kind === "unit" ? unitExecLines(doc.text) : [doc.text];
      const results = scripts.map((s) => {
        try {
          return findArgvLeaks(s, flow);
        } catch (error) {
          throw new Error(`${doc.origin}: ${(error as Error).message}`);
        }
      });
      return { origin: doc.origin, leaks: results.flatMap((r) => r.leaks), reads: results.reduce((n, r) => n + r.reads, 0) };
    });
    expect(analysed.filter((a) => a.leaks.length > 0)).toEqual([]);

    // Not vacuous: the shipped start script and the lab's init were found and seen reading it.
    const readers = analysed.filter((a) => a.reads > 0).map((a) => a.origin);
    expect(readers).toContain("guest/guest-init");
    expect(readers.filter((o) => o.startsWith("runner-fleet-hv1-image.stdin > base64"))).toHaveLength(1);
  });

  const recipe: ImageRecipe = {
      release: "bookworm",
      cloudImageVersion: "latest",
      arch: "x64",
      packages: [],
      user: "runner",
      runner: { version: "2.329.0", sha256: "0".repeat(64) },
      diskGiB: 20,
    };

  it("starts actions/runner in the production image with the config in its environment only", () => {
    const start = renderJitStartScript(recipe);
    expect(findArgvLeaks(start, flow)).toMatchObject({ leaks: [], reads: 1 });
    const last = parseCommands(start).at(-1)!;
    expect(last.argv).toEqual(["exec", "runuser", "-u", "runner", "--", "./run.sh"]);
    expect(unitExecLines(renderJitUnit())).toEqual(["/usr/local/libexec/runner-fleet-jit", "/usr/bin/systemctl --no-block poweroff"]);
  });

  const canTrace = process.getuid?.() === 0 && ["strace", "runuser"].every((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0);

  it.skipIf(!canTrace)("hands it to run.sh through the real runuser, in the environment, in no exec's argv (traced)", () => {
    const dir = mkdtempSync(join(tmpdir(), "rf-jit-start-"));
    try {
      chmodSync(dir, 0o755);
      const secret = `rf-jit-${randomBytes(12).toString("hex")}`;
      const config = join(dir, "jitconfig");
      writeFileSync(config, secret, { mode: 0o400 });
      // Stands in for actions/runner's run.sh: says whether the config arrived in its environment.
      writeFileSync(join(dir, "run.sh"), `#!/bin/sh\n[ "$${jitConfigEnvVar}" = "${secret}" ] && echo "config in env as $(id -un)"\n`, { mode: 0o755 });
      const script = renderJitStartScript({ ...recipe, user: "nobody" }).replace(jitConfigSysfsPath, config).replace(`cd ${runnerDir}`, `cd ${dir}`);
      expect(script).toContain(`config=${config}`);
      writeFileSync(join(dir, "start.sh"), script);
      const trace = join(dir, "trace");
      const run = spawnSync("strace", ["-f", "-qq", "-s", "4096", "-e", "trace=execve", "-o", trace, "sh", join(dir, "start.sh")], { encoding: "utf8" });
      expect(run.stderr).toBe("");
      expect(run.stdout).toBe("config in env as nobody\n");
      const execs = readFileSync(trace, "utf8");
      expect(execs).toMatch(/execve\("[^"]*runuser"/);
      expect(execs).toContain(`execve("./run.sh", ["./run.sh"]`);
      expect(execs).not.toContain(secret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
