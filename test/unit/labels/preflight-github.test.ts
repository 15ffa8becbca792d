/**
 * `fleet labels preflight --config` reading queued jobs from a real HTTP GitHub: the project's
 * emulator on loopback, through the Octokit adapter, run as the built bundle.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../runtime/emulator/server.ts";
import { startEmulatorChecked } from "../../support/checked-emulator.ts";

const run = promisify(execFile);
const token = "ghp_preflight_test_token_0123456789";
let emulator: Emulator;
let dir: string;

async function fleet(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [resolve("dist/fleet.cjs"), ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function configFile(name: string, apiUrl: string, authToken = token): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      host: { name: "h1", vcpus: 8, memoryMiB: 16384 },
      github: { apiUrl, scope: { kind: "org", org: "acme" }, repositories: ["acme/app", "acme/lib"], runnerGroupId: 1, auth: { kind: "token", token: authToken } },
      pools: [
        { name: "small", labels: ["self-hosted", "linux", "x64", "runner-fleet"], min: 0, max: 2, vcpus: 2, memoryMiB: 2048 },
        { name: "large", labels: ["self-hosted", "linux", "x64", "runner-fleet", "large"], min: 0, max: 1, vcpus: 4, memoryMiB: 4096 },
      ],
      image: { base: "/var/lib/base.qcow2", boot: { kind: "disk" } },
      network: { kind: "libvirt-network", network: "runner-fleet" },
    }),
    { mode: 0o600 },
  );
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fleet-preflight-"));
  emulator = await startEmulatorChecked({ staticTokens: [token] });
  const steps = [{ name: "test", run: "true" }];
  emulator.enqueueJob({ repository: "acme/app", labels: ["self-hosted", "linux", "x64", "runner-fleet"], steps });
  emulator.enqueueJob({ repository: "acme/app", labels: ["self-hosted", "linux", "x64", "runner-fleet", "large"], steps });
  emulator.enqueueJob({ repository: "acme/lib", labels: ["self-hosted", "linux", "x64", "runner-fleet", "gpu"], steps });
  emulator.enqueueJob({ repository: "acme/lib", labels: ["ubuntu-latest"], steps });
});

afterAll(async () => {
  await emulator?.close();
});

describe("fleet labels preflight against GitHub", () => {
  it("reads every repository's queued jobs and names the one no pool can take", async () => {
    const result = await fleet("labels", "preflight", "--config", configFile("controller.json", `${emulator.url}/api/v3`), "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      jobs: 4,
      hostedJobs: 1,
      labels: ["self-hosted", "linux", "x64", "runner-fleet", "large", "gpu"],
    });
    expect(report.pools.map((p: { name: string; jobs: number[] }) => [p.name, p.jobs.length])).toEqual([
      ["small", 1],
      ["large", 2],
    ]);
    expect(report.unservable).toEqual([
      expect.objectContaining({ repository: "acme/lib", code: "no-pool", labels: ["self-hosted", "linux", "x64", "runner-fleet", "gpu"] }),
    ]);
  });

  it("exits 4 when GitHub cannot be reached, without printing the token", async () => {
    const result = await fleet("labels", "preflight", "--config", configFile("down.json", "http://127.0.0.1:9/api/v3"));
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("fleet labels preflight: cannot read queued jobs from http://127.0.0.1:9/api/v3");
    expect(result.stderr).not.toContain(token);
  });

  it("exits 4 when GitHub refuses the credentials", async () => {
    const wrong = configFile("wrong.json", `${emulator.url}/api/v3`, "ghp_wrong_token_000000000000000000");
    const result = await fleet("labels", "preflight", "--config", wrong);
    expect(result.code).toBe(4);
    expect(result.stderr).not.toContain("ghp_wrong_token");
  });
});
