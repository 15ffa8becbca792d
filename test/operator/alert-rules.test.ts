/**
 * The stack's alert rules through Prometheus's own tools: `promtool check rules` accepts the
 * rendered file and `promtool test rules` runs the unit tests in alert-rules.promtool.yml.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertSpecs, renderAlertRules } from "../../components/alert-rules.ts";

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rf-rules-"));
  await writeFile(join(dir, "alert-rules.yml"), renderAlertRules());
  await copyFile("test/operator/alert-rules.promtool.yml", join(dir, "alert-rules.promtool.yml"));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the alert rules", () => {
  it("pass promtool check rules", async () => {
    const { stdout } = await run("promtool", ["check", "rules", join(dir, "alert-rules.yml")]);
    expect(stdout).toContain(`SUCCESS: ${alertSpecs().length} rules found`);
  });

  it("pass their promtool unit tests, which cover every alert", async () => {
    const { stdout } = await run("promtool", ["test", "rules", join(dir, "alert-rules.promtool.yml")]);
    expect(stdout).toContain("SUCCESS");
  });

  it("have a unit test that fires each alert", async () => {
    const tests = await readFile("test/operator/alert-rules.promtool.yml", "utf8");
    for (const spec of alertSpecs()) expect(tests, spec.alert).toMatch(new RegExp(`alertname: ${spec.alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`));
  });

  it("fail promtool's unit tests when a threshold changes", async () => {
    const loose = alertSpecs({ consecutiveBootFailures: 3, queueWaitSeconds: 120, queueWaitJobs: 10, offlineMinutes: 10 });
    await writeFile(join(dir, "alert-rules.yml"), renderAlertRules(loose));
    await expect(run("promtool", ["test", "rules", join(dir, "alert-rules.promtool.yml")])).rejects.toThrow(/FAILED/);
    await writeFile(join(dir, "alert-rules.yml"), renderAlertRules());
  });
});
