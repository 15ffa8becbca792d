/**
 * Runs in every test file (vitest setupFiles): when the file ends, each OpenAPI checker it made
 * (checked-emulator.ts, file-contracts.ts) must have no violations left, and its counts go to the run's records,
 * which global-setup.ts adds up when the run ends.
 */
import { appendFileSync } from "node:fs";
import { relative } from "node:path";
import { afterAll, expect, inject } from "vitest";
import { contractRecord } from "../../runtime/emulator/openapi-check/report.ts";
import { fileContracts } from "./file-contracts.ts";

afterAll((suite) => {
  const file = relative(process.cwd(), (suite as { filepath?: string }).filepath ?? suite.name);
  const contracts = [...fileContracts];
  fileContracts.clear();
  const records = inject("openapiRecords");
  if (records && contracts.length > 0) {
    appendFileSync(`${records}${process.pid}.jsonl`, contracts.map((c) => JSON.stringify(contractRecord(c, file)) + "\n").join(""));
  }
  const violations = contracts.flatMap((c) => c.violations.map((v) => `${v.method} ${v.path} -> ${v.status}: [${v.kind}] ${v.detail}`));
  expect(violations, "requests or responses of the emulator that GitHub's OpenAPI description does not allow").toEqual([]);
});
