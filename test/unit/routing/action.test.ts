/**
 * The bundled Action (action/dist/index.cjs), run the way the Actions runner runs it: inputs
 * as INPUT_* variables with action.yml's defaults, the event in GITHUB_EVENT_PATH, outputs
 * and the job summary written to the files GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { botLoginSenderOf, examples, forkOf } from "./payloads.ts";

const run = promisify(execFile);

interface ActionYaml {
  runs: { using: string; main: string };
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, unknown>;
}

const actionYaml = parseYaml(readFileSync("action/action.yml", "utf8")) as ActionYaml;
let dir: string;
let counter = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fleet-action-"));
});

interface ActionRun {
  code: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Parses `name<<DELIMITER\nvalue\nDELIMITER` records, the format @actions/core writes. */
function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!match) continue;
    const [, name, delimiter] = match;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
    outputs[name!] = value.join("\n");
  }
  return outputs;
}

async function runAction(options: {
  event?: string;
  payload?: unknown;
  eventPath?: string;
  with?: Record<string, string>;
  summary?: boolean;
}): Promise<ActionRun> {
  const n = counter++;
  const output = join(dir, `output-${n}`);
  const summary = join(dir, `summary-${n}`);
  writeFileSync(output, "");
  writeFileSync(summary, "");
  let eventPath = options.eventPath;
  if (eventPath === undefined && options.payload !== undefined) {
    eventPath = join(dir, `event-${n}.json`);
    writeFileSync(eventPath, typeof options.payload === "string" ? options.payload : JSON.stringify(options.payload));
  }
  // The runner sets every declared input: the workflow's `with`, else action.yml's default.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, GITHUB_OUTPUT: output };
  if (options.summary !== false) env.GITHUB_STEP_SUMMARY = summary;
  for (const [name, spec] of Object.entries(actionYaml.inputs)) {
    env[`INPUT_${name.toUpperCase()}`] = options.with?.[name] ?? spec.default ?? "";
  }
  if (options.event !== undefined) env.GITHUB_EVENT_NAME = options.event;
  if (eventPath !== undefined) env.GITHUB_EVENT_PATH = eventPath;
  let code = 0;
  let stdout = "";
  try {
    ({ stdout } = await run(process.execPath, [join("action", actionYaml.runs.main)], { env }));
  } catch (error) {
    const e = error as { code: number; stdout: string };
    code = e.code;
    stdout = e.stdout;
  }
  return { code, stdout, outputs: parseOutputFile(readFileSync(output, "utf8")), summary: readFileSync(summary, "utf8") };
}

const pr = examples("pull_request")[0]!;
const labels = '["self-hosted","linux","x64","acme-fleet"]';

describe("action.yml", () => {
  it("runs the committed bundle on node24 and declares the outputs the code writes", () => {
    expect(actionYaml.runs).toEqual({ using: "node24", main: "dist/index.cjs" });
    expect(Object.keys(actionYaml.outputs).sort()).toEqual(["reason", "reason-message", "route", "runs-on"]);
  });
});

describe("the bundled Action", () => {
  it("routes a trusted pull request to the self-hosted labels", async () => {
    const result = await runAction({
      event: "pull_request",
      payload: pr,
      with: { "routing-variable": "true", "self-hosted-labels": labels },
    });
    expect(result.code).toBe(0);
    expect(result.outputs).toEqual({
      "runs-on": labels,
      route: "self-hosted",
      reason: "trusted-pull-request",
      "reason-message": 'pull request from Codertocat/Hello-World by "Codertocat" (OWNER)',
    });
    expect(JSON.parse(result.outputs["runs-on"]!)).toEqual(["self-hosted", "linux", "x64", "acme-fleet"]);
    expect(result.summary).toContain("runner-fleet routing: **self-hosted**");
    expect(result.summary).toContain("`trusted-pull-request`");
  });

  it("routes a fork and a bot to ubuntu-latest", async () => {
    for (const [payload, code] of [
      [forkOf(pr), "fork"],
      [botLoginSenderOf(pr), "bot"],
    ] as const) {
      const result = await runAction({ event: "pull_request", payload, with: { "routing-variable": "true" } });
      expect(result.code).toBe(0);
      expect(result.outputs).toMatchObject({ "runs-on": '"ubuntu-latest"', route: "hosted", reason: code });
    }
  });

  it.each(["", "false", " true", "TRUE", "1"])("treats routing-variable %j as off", async (value) => {
    const result = await runAction({ event: "pull_request", payload: pr, with: { "routing-variable": value } });
    expect(result.outputs).toMatchObject({ route: "hosted", reason: "routing-disabled" });
  });

  it("honours the merge-group opt-in, and only with it", async () => {
    const mergeGroup = examples("merge_group")[0]!;
    const without = await runAction({ event: "merge_group", payload: mergeGroup, with: { "routing-variable": "true" } });
    expect(without.outputs.reason).toBe("event-not-trusted");
    const withOptIn = await runAction({
      event: "merge_group",
      payload: mergeGroup,
      with: { "routing-variable": "true", "merge-group": "true" },
    });
    expect(withOptIn.outputs).toMatchObject({ route: "self-hosted", reason: "trusted-merge-group" });
  });

  it("never routes pull_request_target", async () => {
    const result = await runAction({ event: "pull_request_target", payload: pr, with: { "routing-variable": "true" } });
    expect(result.outputs).toMatchObject({ route: "hosted", reason: "event-not-trusted" });
  });

  it.each([
    [{ "trusted-associations": "OWNER,CONTRIBUTOR" }, "trusted-associations[1]: only OWNER, MEMBER and COLLABORATOR"],
    [{ "self-hosted-labels": "self-hosted,linux" }, "self-hosted-labels: expected a JSON array of labels"],
    [{ "self-hosted-labels": '["linux"]' }, 'self-hosted-labels: must include "self-hosted"'],
    [{ "merge-group": "yes" }, 'merge-group: expected true or false, got "yes"'],
    [{ "hosted-runs-on": "self-hosted" }, "hosted-runs-on: must not use self-hosted labels"],
  ])("fails closed on invalid inputs %j, with a warning and exit 0", async (inputs, message) => {
    const result = await runAction({ event: "pull_request", payload: pr, with: { "routing-variable": "true", ...inputs } });
    expect(result.code).toBe(0);
    expect(result.outputs).toMatchObject({ "runs-on": '"ubuntu-latest"', route: "hosted", reason: "invalid-policy" });
    expect(result.outputs["reason-message"]).toContain(message);
    expect(result.stdout).toContain("::warning::runner-fleet routing: ");
  });

  it("keeps a valid hosted-runs-on when other inputs are invalid", async () => {
    const result = await runAction({
      event: "pull_request",
      payload: pr,
      with: { "routing-variable": "true", "merge-group": "maybe", "hosted-runs-on": '["ubuntu-24.04"]' },
    });
    expect(result.outputs["runs-on"]).toBe('["ubuntu-24.04"]');
  });

  it.each([
    ["a missing event file", { eventPath: "/nonexistent/event.json" }, "ENOENT"],
    ["an event file that is not JSON", { payload: "{oops" }, "cannot read the event payload"],
    ["no GITHUB_EVENT_PATH", {}, "GITHUB_EVENT_PATH is not set"],
  ])("fails closed on %s", async (_name, options, message) => {
    const result = await runAction({ event: "pull_request", with: { "routing-variable": "true" }, ...options });
    expect(result.code).toBe(0);
    expect(result.outputs).toMatchObject({ route: "hosted", reason: "malformed-payload" });
    expect(result.outputs["reason-message"]).toContain(message);
  });

  it("still routes when there is no job summary file", async () => {
    const result = await runAction({ event: "pull_request", payload: pr, with: { "routing-variable": "true" }, summary: false });
    expect(result.code).toBe(0);
    expect(result.outputs.route).toBe("self-hosted");
  });

  it("escapes payload text in the job summary", async () => {
    const payload = { ...pr, sender: { login: "<img src=x>", type: "User" } };
    const result = await runAction({ event: "pull_request", payload, with: { "routing-variable": "true" } });
    expect(result.outputs.route).toBe("self-hosted");
    expect(result.summary).not.toContain("<img");
    expect(result.summary).toContain("&#60;img src=x&#62;");
  });
});
