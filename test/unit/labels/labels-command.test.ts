/** `fleet labels lint|preflight`, run as operators run them: the built bundle in a child process. */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const bundle = resolve("dist/fleet.cjs");
let dir: string;

async function fleet(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bundle, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function write(path: string, content: string): string {
  const full = join(dir, path);
  mkdirSync(join(full, ".."), { recursive: true });
  writeFileSync(full, content);
  return full;
}

const policyYaml = "requiredBase: [self-hosted, linux, x64, runner-fleet]\nallowed: [large]\nhostedAllowed: [ubuntu-latest]\n";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fleet-labels-"));
  write(".github/runner-fleet-labels.yml", policyYaml);
  write(".github/workflows/good.yml", "on: push\njobs:\n  a:\n    runs-on: [self-hosted, linux, x64, runner-fleet]\n");
  write(".github/workflows/bad.yaml", "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n  b:\n    runs-on: [self-hosted, linux, x64]\n");
  write(".github/workflows/README.md", "not a workflow");
  write("clean/only.yml", "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n");
});

describe("fleet labels lint", () => {
  it("lints .github/workflows with the default policy and exits 3 on findings", async () => {
    const result = await fleet(dir, "labels", "lint");
    expect(result.code).toBe(3);
    expect(result.stdout).toBe(
      ".github/workflows/bad.yaml:6:14: missing-fleet-label: runs-on [self-hosted, linux, x64] names self-hosted without runner-fleet: the job could run on any self-hosted runner\n" +
        "1 finding(s) in 1 of 2 workflow file(s)\n",
    );
  });

  it("exits 0 for clean paths", async () => {
    const result = await fleet(dir, "labels", "lint", "clean", ".github/workflows/good.yml");
    expect(result).toMatchObject({ code: 0, stdout: "2 workflow file(s) clean\n" });
  });

  it("prints JSON with --json", async () => {
    const result = await fleet(dir, "labels", "lint", "--json");
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      files: [".github/workflows/bad.yaml", ".github/workflows/good.yml"],
      findings: [
        expect.objectContaining({ file: ".github/workflows/bad.yaml", line: 6, column: 14, code: "missing-fleet-label", job: "b" }),
      ],
    });
  });

  it("lints the repository's example workflow clean", async () => {
    const policy = write("example-policy.yml", policyYaml);
    const result = await fleet(process.cwd(), "labels", "lint", "--policy", policy, "examples/workflows");
    expect(result).toMatchObject({ code: 0, stdout: "1 workflow file(s) clean\n" });
  });

  it.each([
    [["lint", "nope"], "nope: no such file or directory (ENOENT)"],
    [["lint", "--policy", "/nonexistent.yml"], "--policy /nonexistent.yml: cannot read the file (ENOENT)"],
    [["lint", "--strict"], "Unknown option '--strict'"],
    [["frobnicate"], 'unknown subcommand "frobnicate"'],
    [[], "expected a subcommand: lint or preflight"],
  ])("exits 2 for %j", async (args, message) => {
    const result = await fleet(dir, "labels", ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it("exits 2 naming the policy problem, and without a policy", async () => {
    const bad = write("bad-policy.yml", "requiredBase: [linux, x64, runner-fleet]\n");
    const invalid = await fleet(dir, "labels", "lint", "--policy", bad);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain(`--policy ${bad}: requiredBase: must include "self-hosted"`);
    const none = await fleet(tmpdir(), "labels", "lint", dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no label policy: pass --policy FILE or create .github/runner-fleet-labels.yml");
  });
});

describe("fleet labels preflight", () => {
  const config = {
    host: { name: "h1", vcpus: 8, memoryMiB: 16384 },
    github: {
      scope: { kind: "org", org: "acme" },
      repositories: ["acme/app"],
      runnerGroupId: 2,
      auth: { kind: "token", token: "ghp_aaaaaaaaaaaaaaaaaaaaaaaa" },
    },
    pools: [{ name: "small", labels: ["self-hosted", "linux", "x64", "runner-fleet"], min: 0, max: 2, vcpus: 2, memoryMiB: 2048 }],
    image: { base: "/var/lib/base.qcow2", boot: { kind: "disk" } },
    network: { kind: "libvirt-network", network: "runner-fleet" },
  };

  it("reports the covering label set and unservable jobs from a GitHub jobs response, exit 3", async () => {
    const configFile = write("controller.json", JSON.stringify(config));
    const jobs = write(
      "jobs.json",
      JSON.stringify({
        total_count: 3,
        jobs: [
          { id: 1, url: "https://api.github.com/repos/acme/app/actions/jobs/1", status: "queued", labels: ["self-hosted", "linux", "x64", "runner-fleet"] },
          { id: 2, url: "https://api.github.com/repos/acme/app/actions/jobs/2", status: "queued", labels: ["self-hosted", "linux", "x64", "runner-fleet", "large"] },
          { id: 3, url: "https://api.github.com/repos/acme/app/actions/jobs/3", status: "in_progress", labels: ["self-hosted", "gpu"] },
        ],
      }),
    );
    const result = await fleet(dir, "labels", "preflight", "--config", configFile, "--jobs", jobs);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe(
      [
        "queued jobs: 2 (0 for GitHub-hosted runners)",
        "labels covering the fleet's jobs: self-hosted, linux, x64, runner-fleet, large",
        "pool small: can take 1 job(s)",
        "unservable jobs: 1",
        "  acme/app job 2: no-pool: no pool has all of [self-hosted, linux, x64, runner-fleet, large]",
        "",
      ].join("\n"),
    );
    const json = await fleet(dir, "labels", "preflight", "--config", configFile, "--jobs", jobs, "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ jobs: 2, labels: ["self-hosted", "linux", "x64", "runner-fleet", "large"] });
  });

  it("exits 0 when every fleet job has a pool", async () => {
    const configFile = write("controller.json", JSON.stringify(config));
    const jobs = write("jobs-ok.json", JSON.stringify([{ id: 5, repository: "acme/app", labels: ["self-hosted", "runner-fleet"] }, { id: 6, repository: "acme/app", labels: ["ubuntu-latest"] }]));
    const result = await fleet(dir, "labels", "preflight", "--config", configFile, "--jobs", jobs, "--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      jobs: 2,
      hostedJobs: 1,
      labels: ["self-hosted", "runner-fleet"],
      pools: [{ name: "small", jobs: [5] }],
      unservable: [],
    });
  });

  it("applies a policy only when given, flagging jobs outside it", async () => {
    const configFile = write("controller.json", JSON.stringify(config));
    const jobs = write("jobs-partial.json", JSON.stringify([{ id: 7, repository: "acme/app", labels: ["self-hosted", "runner-fleet"] }]));
    const policy = write("policy.yml", policyYaml);
    const result = await fleet(dir, "labels", "preflight", "--config", configFile, "--jobs", jobs, "--policy", policy, "--json");
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout).unservable).toEqual([
      { id: 7, repository: "acme/app", labels: ["self-hosted", "runner-fleet"], code: "outside-policy", message: "[self-hosted, runner-fleet]: lacks linux, x64" },
    ]);
  });

  it.each([
    [[], "--config FILE is required"],
    [["--config", "CONFIG", "--jobs", "/nonexistent.json"], "--jobs /nonexistent.json: cannot read the file (ENOENT)"],
    [["--config", "BADCONFIG", "--jobs", "JOBS"], "pools: Invalid input: expected array, received undefined"],
    [["--config", "CONFIG", "--jobs", "BADJOBS"], "jobs[0].labels: expected an array of strings"],
  ])("exits 2 for %j", async (args, message) => {
    const files: Record<string, string> = {
      CONFIG: write("controller.json", JSON.stringify(config)),
      BADCONFIG: write("bad-controller.json", JSON.stringify({ ...config, pools: undefined })),
      JOBS: write("jobs-ok.json", "[]"),
      BADJOBS: write("bad-jobs.json", '[{"id": 1, "labels": "self-hosted"}]'),
    };
    const result = await fleet(dir, "labels", "preflight", ...args.map((a) => files[a] ?? a));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it("never prints the config's secrets in an error", async () => {
    const configFile = write("secret-controller.json", JSON.stringify({ ...config, github: { ...config.github, auth: { kind: "token", token: "short-secret" } } }));
    const result = await fleet(dir, "labels", "preflight", "--config", configFile, "--jobs", write("jobs-ok.json", "[]"));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("github.auth");
    expect(result.stderr).not.toContain("short-secret");
  });
});
