/** `fleet route`, run the way operators run it: the built bundle in a child process. */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { examples, forkOf } from "./payloads.ts";

const run = promisify(execFile);
let dir: string;

async function fleet(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["dist/fleet.cjs", ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fleet-route-"));
});

describe("fleet route", () => {
  it("prints a trusted pull request's decision as one JSON object", async () => {
    const payload = file("pr.json", examples("pull_request")[0]);
    const result = await fleet("route", "--event", "pull_request", "--payload", payload, "--routing-var", "true");
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toEqual({
      route: "self-hosted",
      runsOn: ["self-hosted", "linux", "x64", "runner-fleet"],
      reason: { code: "trusted-pull-request", message: 'pull request from Codertocat/Hello-World by "Codertocat" (OWNER)' },
    });
  });

  it("treats a missing --routing-var as unset and an empty one as not true", async () => {
    const payload = file("pr.json", examples("pull_request")[0]);
    const unset = JSON.parse((await fleet("route", "--event", "pull_request", "--payload", payload)).stdout);
    expect(unset.reason).toEqual({ code: "routing-disabled", message: "CI_SELF_HOSTED_TRUSTED_ROUTING is unset" });
    const empty = JSON.parse((await fleet("route", "--event", "pull_request", "--payload", payload, "--routing-var=")).stdout);
    expect(empty.reason.message).toBe('CI_SELF_HOSTED_TRUSTED_ROUTING is "", not "true"');
  });

  it("exits 0 for a hosted decision: the decision is not an error", async () => {
    const payload = file("fork.json", forkOf(examples("pull_request")[0]!));
    const result = await fleet("route", "--event", "pull_request", "--payload", payload, "--routing-var", "true", "--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ route: "hosted", runsOn: "ubuntu-latest", reason: { code: "fork" } });
  });

  it("applies a YAML policy's opt-ins", async () => {
    const payload = file("mg.json", examples("merge_group")[0]);
    const policy = file("policy.yml", "mergeGroup: true\nselfHostedRunsOn: [self-hosted, linux, arm64, acme]\n");
    const result = await fleet("route", "--event", "merge_group", "--payload", payload, "--routing-var", "true", "--policy", policy);
    expect(JSON.parse(result.stdout)).toMatchObject({
      route: "self-hosted",
      runsOn: ["self-hosted", "linux", "arm64", "acme"],
      reason: { code: "trusted-merge-group" },
    });
  });

  it.each([
    [["--payload", "x.json"], "--event NAME is required"],
    [["--event", "pull_request"], "--payload FILE is required"],
    [["--event", "pull_request", "--payload", "/nonexistent/p.json"], "--payload /nonexistent/p.json: cannot read the file (ENOENT)"],
    [["--event", "pull_request", "--payload", "PR", "--bogus"], "Unknown option '--bogus'"],
    [["--event", "pull_request", "--payload", "PR", "--routing-var"], "--routing-var"],
  ])("exits 2 and names the problem for %j", async (args, message) => {
    const payload = file("pr.json", examples("pull_request")[0]);
    const result = await fleet("route", ...args.map((a) => (a === "PR" ? payload : a)));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("usage: fleet route");
  });

  it("exits 2 for a payload that is not JSON and for an invalid policy", async () => {
    const bad = file("bad.json", "{not json");
    const notJson = await fleet("route", "--event", "pull_request", "--payload", bad);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain(`--payload ${bad}: not valid JSON`);

    const payload = file("pr.json", examples("pull_request")[0]);
    const policy = file("wide.yml", "trustedAssociations: [OWNER, CONTRIBUTOR]\n");
    const wide = await fleet("route", "--event", "pull_request", "--payload", payload, "--policy", policy);
    expect(wide.code).toBe(2);
    expect(wide.stderr).toContain(`--policy ${policy}: trustedAssociations[1]: only OWNER, MEMBER and COLLABORATOR can be trusted`);
  });
});
