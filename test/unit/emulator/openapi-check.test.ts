// The OpenAPI check's own rules: which undocumented statuses pass (and are counted), which fail,
// the list in the docs, and how a run's records add up.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { HttpExchange } from "../../../runtime/emulator/exchange.ts";
import { OpenApiContract } from "../../../runtime/emulator/openapi-check/openapi-contract.ts";
import { formatReport, sumRecords, type ContractRecord } from "../../../runtime/emulator/openapi-check/report.ts";
import { undocumentedStatuses } from "../../../runtime/emulator/openapi-check/undocumented-statuses.ts";

const contract = new OpenApiContract();
const error = (message: string) => ({ message, documentation_url: "https://docs.github.com/rest" });

function exchange(method: string, path: string, status: number, responseBody: unknown, requestBody?: unknown): HttpExchange {
  return { method, path, query: {}, requestBody, status, responseHeaders: {}, responseBody };
}

describe("undocumented statuses", () => {
  it.each([
    ["a 502 from the serverError fault, on any operation", exchange("GET", "/repos/acme/app/actions/runs/7", 502, error("Bad Gateway")), "actions/get-workflow-run 502"],
    ["a 409 for a variable that exists", exchange("POST", "/repos/acme/app/actions/variables", 409, error("Already exists"), { name: "X", value: "1" }), "actions/create-repo-variable 409"],
    ["a 422 for deleting the default runner group", exchange("DELETE", "/orgs/acme/actions/runner-groups/1", 422, error("Invalid request.")), "actions/delete-self-hosted-runner-group-from-org 422"],
  ])("passes and counts %s", (_, sent, pair) => {
    const before = contract.undocumented.get(pair) ?? 0;
    expect(contract.check(sent)).toEqual([]);
    expect(contract.undocumented.get(pair)).toBe(before + 1);
  });

  it.each([
    ["a status no list entry names", exchange("GET", "/repos/acme/app/actions/runs/7", 418, error("teapot")), "status"],
    ["a listed status on an operation it is not listed for", exchange("GET", "/repos/acme/app/actions/runs/7", 409, error("Conflict")), "status"],
    ["a listed status without GitHub's error body", exchange("GET", "/repos/acme/app/actions/runs/7", 503, { message: 503 }), "response-body"],
  ])("fails %s", (_, sent, kind) => {
    const found = contract.check(sent);
    expect(found.map((v) => v.kind)).toEqual([kind]);
    contract.takeViolations((v) => found.includes(v));
  });
});

describe("docs/emulator.md", () => {
  it("shows exactly the checker's list of undocumented statuses", () => {
    const docs = readFileSync("docs/emulator.md", "utf8");
    const section = docs.slice(docs.indexOf("### Undocumented statuses"));
    const rows = [...section.matchAll(/^\| (\d{3}) \| ([^|]+) \| ([^|]+) \|$/gm)].map((m) => [Number(m[1]), m[2]!.trim(), m[3]!.trim()]);
    expect(rows).toEqual(
      undocumentedStatuses.map((s) => [s.status, s.operations ? s.operations.map((o) => `\`${o}\``).join(", ") : "every operation", s.why]),
    );
  });
});

describe("the run's report", () => {
  const record = (file: string, operations: Record<string, number>, undocumented: Record<string, number>): ContractRecord => ({
    file,
    requests: Object.values(operations).reduce((a, b) => a + b, 0),
    responses: Object.values(operations).reduce((a, b) => a + b, 0),
    violations: 0,
    operations,
    undocumented,
  });

  it("adds up requests, responses, operations and undocumented statuses across files", () => {
    const total = sumRecords([
      record("a.test.ts", { "actions/get-workflow-run": 3 }, { "actions/get-workflow-run 502": 1 }),
      record("a.test.ts", { "actions/get-workflow-run": 1, "pulls/get": 2 }, {}),
      record("b.test.ts", { "pulls/get": 1 }, { "actions/get-workflow-run 502": 2 }),
    ]);
    expect(total).toMatchObject({ files: 2, requests: 7, responses: 7, violations: 0, operations: { "actions/get-workflow-run": 4, "pulls/get": 3 } });
    expect(total.undocumented).toEqual({ "actions/get-workflow-run 502": 3 });
    const text = formatReport(total);
    expect(text).toContain("7 requests and 7 responses checked, 2 operations, 2 test files, 0 violations");
    expect(text).toContain("502 actions/get-workflow-run ×3: The `serverError` fault (its default status).");
  });
});
