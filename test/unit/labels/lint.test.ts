import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatFinding, lintWorkflow, type LintFinding } from "../../../runtime/labels/lint.ts";
import { parseLabelPolicy } from "../../../runtime/labels/policy.ts";

const policy = parseLabelPolicy({
  requiredBase: ["self-hosted", "linux", "x64", "runner-fleet"],
  allowed: ["large"],
  hostedAllowed: ["ubuntu-latest", "ubuntu-24.04"],
});

const lint = (text: string, p = policy): string[] => lintWorkflow(text, "ci.yml", p).map(formatFinding);
const workflow = (runsOn: string, extra = ""): string => `on: push\njobs:\n  build:\n${extra}    runs-on: ${runsOn}\n    steps: []\n`;

describe("runs-on forms that pass", () => {
  it.each([
    ["the full base label list", "[self-hosted, linux, x64, runner-fleet]"],
    ["base plus an allowed label, any case", "[Self-Hosted, Linux, X64, runner-fleet, large]"],
    ["a block list", "\n      - self-hosted\n      - linux\n      - x64\n      - runner-fleet"],
    ["an allowed hosted label", "ubuntu-latest"],
    ["a group with full labels", "{group: fleet, labels: [self-hosted, linux, x64, runner-fleet]}"],
  ])("%s", (_name, runsOn) => {
    expect(lint(workflow(runsOn))).toEqual([]);
  });

  it("accepts the routing form when the job needs the route job", () => {
    const text = [
      "on: pull_request",
      "jobs:",
      "  route:",
      "    runs-on: ubuntu-latest",
      "    steps: []",
      "  build:",
      "    needs: [route]",
      "    runs-on: ${{ fromJSON(needs.route.outputs.runs-on) }}",
      "    steps: []",
    ].join("\n");
    expect(lint(text)).toEqual([]);
  });

  it("skips jobs that call a reusable workflow", () => {
    expect(lint("on: push\njobs:\n  call:\n    uses: ./.github/workflows/x.yml\n")).toEqual([]);
  });

  it("lints the example workflow clean", () => {
    const text = readFileSync("examples/workflows/ci.yml", "utf8");
    expect(lintWorkflow(text, "examples/workflows/ci.yml", policy)).toEqual([]);
  });
});

describe("findings, with positions", () => {
  it("reports self-hosted without the fleet label at the runs-on value", () => {
    expect(lint(workflow("[self-hosted, linux, x64]"))).toEqual([
      "ci.yml:4:14: missing-fleet-label: runs-on [self-hosted, linux, x64] names self-hosted without runner-fleet: the job could run on any self-hosted runner",
    ]);
  });

  it("reports missing base labels together", () => {
    expect(lint(workflow("[runner-fleet, large]"))).toEqual([
      "ci.yml:4:14: missing-base-label: runs-on [runner-fleet, large] lacks required base label(s) self-hosted, linux, x64",
    ]);
  });

  it("reports both for a bare self-hosted", () => {
    expect(lint(workflow("self-hosted"))).toEqual([
      "ci.yml:4:14: missing-fleet-label: runs-on [self-hosted] names self-hosted without runner-fleet: the job could run on any self-hosted runner",
      "ci.yml:4:14: missing-base-label: runs-on [self-hosted] lacks required base label(s) linux, x64",
    ]);
  });

  it("reports an unknown label at the label itself", () => {
    expect(lint(workflow("[self-hosted, linux, x64, runner-fleet, gpu]"))).toEqual([
      'ci.yml:4:54: unknown-label: "gpu" is not an allowed fleet label',
    ]);
  });

  it("reports a hosted label outside hostedAllowed, and not without hostedAllowed", () => {
    expect(lint(workflow("windows-latest"))).toEqual([
      'ci.yml:4:14: unknown-label: "windows-latest" is neither a fleet label nor in hostedAllowed',
    ]);
    const open = parseLabelPolicy({ requiredBase: ["self-hosted", "linux", "x64", "runner-fleet"] });
    expect(lint(workflow("windows-latest"), open)).toEqual([]);
  });

  it.each([
    ["[]", "empty-runs-on", "runs-on is an empty list"],
    ["42", "invalid-runs-on", "runs-on must be a label, a list of labels or {group, labels}"],
    ["[self-hosted, [linux]]", "invalid-runs-on", "runs-on list items must be labels"],
    ["{group: fleet}", "group-without-labels", "runs-on: {group} without labels can take any runner of the group; name the labels"],
    ["{group: fleet, label: x}", "invalid-runs-on", 'runs-on has an unknown key "label" (expected group, labels)'],
  ])("runs-on: %s is %s", (runsOn, code, message) => {
    const findings = lintWorkflow(workflow(runsOn), "ci.yml", policy);
    expect(findings.map((f) => [f.code, f.message])).toContainEqual([code, message]);
    expect(findings[0]).toMatchObject({ line: 4, job: "build" });
  });

  it("reports a job without runs-on at its key", () => {
    expect(lint("on: push\njobs:\n  build:\n    steps: []\n")).toEqual(['ci.yml:3:3: missing-runs-on: job "build" has no runs-on']);
  });

  it.each([
    ["a foreign expression", "${{ inputs.runner }}", '"${{ inputs.runner }}" cannot be checked statically'],
    ["an expression inside text", "fleet-${{ matrix.size }}", '"fleet-${{ matrix.size }}" cannot be checked statically'],
    ["the routing form without needs", "${{ fromJSON(needs.route.outputs.runs-on) }}", 'job "build" does not list "route" in needs'],
    ["another output", "${{ fromJSON(needs.route.outputs.labels) }}", "needs.route.outputs.labels is not the routing Action's runs-on output"],
    ["an undefined matrix key", "${{ matrix.os }}", "matrix.os is not a literal list in strategy.matrix"],
  ])("flags %s as unverifiable", (_name, runsOn, why) => {
    const text = `on: push\njobs:\n  route:\n    runs-on: ubuntu-latest\n  build:\n    runs-on: "${runsOn}"\n`;
    expect(lint(text)).toEqual([
      `ci.yml:6:14: unverifiable-expression: ${why}; use literal labels, a literal matrix, or \${{ fromJSON(needs.route.outputs.runs-on) }}`,
    ]);
  });

  it("flags the routing form that names a job that does not exist", () => {
    const text = `on: push\njobs:\n  build:\n    needs: router\n    runs-on: \${{ fromJSON(needs.router.outputs.runs-on) }}\n`;
    expect(lint(text)[0]).toContain('there is no job "router" in this workflow');
  });

  it("reports YAML syntax errors with their position", () => {
    const findings = lintWorkflow("on: push\njobs:\n  build:\n    runs-on: [self-hosted\n", "ci.yml", policy);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.code === "yaml-syntax")).toBe(true);
    expect(findings[0]!.line).toBeGreaterThanOrEqual(4);
  });

  it.each([
    ["a list", "- a\n- b\n", "a workflow is a mapping with a `jobs` key"],
    ["no jobs", "on: push\n", "`jobs` must be a mapping of job ids to jobs"],
    ["jobs as a list", "on: push\njobs: [a]\n", "`jobs` must be a mapping of job ids to jobs"],
  ])("reports a file that is not a workflow (%s)", (_name, text, message) => {
    expect(lintWorkflow(text, "x.yml", policy).map((f) => [f.code, f.message])).toEqual([["invalid-workflow", message]]);
  });
});

describe("matrix expressions", () => {
  const matrixWorkflow = (matrix: string, runsOn: string): string =>
    `on: push\njobs:\n  test:\n    strategy:\n      matrix:\n${matrix}    runs-on: ${runsOn}\n`;

  it("checks every literal value of the matrix key, at the value's position", () => {
    const text = matrixWorkflow("        os: [ubuntu-latest, macos-latest, self-hosted]\n", "${{ matrix.os }}");
    expect(lint(text)).toEqual([
      'ci.yml:6:29: unknown-label: "macos-latest" is neither a fleet label nor in hostedAllowed',
      "ci.yml:6:43: missing-fleet-label: runs-on [self-hosted] (via matrix.os) names self-hosted without runner-fleet: the job could run on any self-hosted runner",
      "ci.yml:6:43: missing-base-label: runs-on [self-hosted] (via matrix.os) lacks required base label(s) linux, x64",
    ]);
  });

  it("checks list-valued matrix entries and include entries", () => {
    const text = matrixWorkflow(
      "        runner:\n          - [self-hosted, linux, x64, runner-fleet]\n        include:\n          - runner: [self-hosted, linux, x64, runner-fleet, huge]\n",
      "${{ matrix.runner }}",
    );
    expect(lint(text)).toEqual(['ci.yml:9:61: unknown-label: "huge" is not an allowed fleet label (via matrix.runner)']);
  });

  it("expands matrix items inside a list, reporting each problem once", () => {
    const text = matrixWorkflow("        size: [large, xl]\n        arch: [x64]\n", "[self-hosted, linux, '${{ matrix.arch }}', runner-fleet, '${{ matrix.size }}']");
    expect(lint(text)).toEqual(['ci.yml:6:23: unknown-label: "xl" is not an allowed fleet label (via matrix.size)']);
  });

  it("flags a matrix built by an expression", () => {
    const text = matrixWorkflow("        os: ${{ fromJSON(inputs.oses) }}\n", "${{ matrix.os }}");
    expect(lint(text)[0]).toContain("unverifiable-expression: matrix.os is not a literal list");
  });
});

describe("anchors", () => {
  it("follows aliases in needs", () => {
    const text = [
      "x-route: &route route",
      "jobs:",
      "  route:",
      "    runs-on: ubuntu-latest",
      "  build:",
      "    needs: [*route]",
      "    runs-on: ${{ fromJSON(needs.route.outputs.runs-on) }}",
      "  test:",
      "    needs: *route",
      "    runs-on: ${{ fromJSON(needs.route.outputs.runs-on) }}",
    ].join("\n");
    expect(lint(text)).toEqual([]);
  });

  it("follows aliases to the labels they name", () => {
    const text = "on: push\nx-runner: &fleet [self-hosted, linux, x64]\njobs:\n  build:\n    runs-on: *fleet\n";
    const findings: LintFinding[] = lintWorkflow(text, "ci.yml", policy);
    expect(findings.map((f) => f.code)).toEqual(["missing-fleet-label"]);
    expect(findings[0]!.line).toBe(2);
  });
});
