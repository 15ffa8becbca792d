/**
 * dist/guest-agent.cjs as the guest runs it: `node --jitless` (no WebAssembly, so no global
 * fetch), the JIT config on stdin (never in argv), console lines on stdout, the exit code
 * telling the init what happened.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../runtime/emulator/server.ts";
import { startEmulatorChecked } from "../../support/checked-emulator.ts";
import { agentExitCodes } from "../../../runtime/guest-agent/agent.ts";

const bundle = join(process.cwd(), "dist/guest-agent.cjs");
const adminToken = "pat_guest_agent_bundle_0123456789";
const guestFlags = ["--jitless", "--no-expose-wasm", "--no-warnings"];

let emulator: Emulator;
let dir: string;

beforeAll(async () => {
  emulator = await startEmulatorChecked({ staticTokens: [adminToken] });
  dir = await mkdtemp(join(tmpdir(), "rf-agent-bundle-"));
});
afterAll(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

async function mint(label: string): Promise<string> {
  const response = await fetch(`${emulator.url}/orgs/acme/actions/runners/generate-jitconfig`, {
    method: "POST",
    headers: { authorization: `token ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name: `bundle-${label}`, runner_group_id: 1, labels: [label], work_folder: "_work" }),
  });
  return ((await response.json()) as { encoded_jit_config: string }).encoded_jit_config;
}

function runBundle(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...guestFlags, bundle, ...args], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe("guest agent bundle", () => {
  it("runs a job with the JIT config from stdin under --jitless and exits 0", async () => {
    const jitConfig = await mint("bundle-a");
    const { jobId } = emulator.enqueueJob({ repository: "acme/app", labels: ["bundle-a"], jobName: "b", steps: [{ name: "s", run: "echo $CI" }] });
    const { code, stdout, stderr } = await runBundle([], jitConfig);
    expect(stderr).toBe("");
    expect(code).toBe(agentExitCodes.completed);
    expect(stdout).toContain("Listening for Jobs");
    expect(stdout).toContain("Job b completed with result: Succeeded");
    expect(stdout).not.toContain(jitConfig);
    expect(emulator.job(jobId)?.steps[0]?.log).toBe("true\n");
    expect(emulator.job(jobId)?.steps[0]).toMatchObject({ conclusion: "success" });
  });

  it("reads the JIT config from a file when told to", async () => {
    const jitConfig = await mint("bundle-b");
    emulator.enqueueJob({ repository: "acme/app", labels: ["bundle-b"], steps: [{ name: "s", run: "true" }] });
    const file = join(dir, "jit");
    await writeFile(file, jitConfig, { mode: 0o600 });
    const { code } = await runBundle(["--jit-config-file", file], "");
    expect(code).toBe(agentExitCodes.completed);
  });

  it("fails fast with the config error code: no config, bad config, unknown flag", async () => {
    const empty = await runBundle([], "");
    expect(empty.code).toBe(agentExitCodes.configError);
    expect(empty.stdout).toContain("the JIT config is empty");
    expect((await runBundle([], "not base64 json")).code).toBe(agentExitCodes.configError);
    const flag = await runBundle(["--verbose"], "");
    expect(flag.code).toBe(agentExitCodes.configError);
    expect(flag.stdout).toContain("unknown or incomplete argument: --verbose");
  });

});
