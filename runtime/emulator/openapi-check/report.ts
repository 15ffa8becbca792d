/**
 * Adds up what the OpenAPI contract checker saw across many checkers (one or more per test
 * file), and prints it: requests, responses, operations, and every undocumented status that was
 * answered, with the reason it is allowed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { OpenApiContract } from "./openapi-contract.ts";
import { undocumentedStatus } from "./undocumented-statuses.ts";

/** One checker's counts, as written to the run's record files (JSON, one per line). */
export interface ContractRecord {
  file: string;
  requests: number;
  responses: number;
  violations: number;
  /** operationId -> exchanges. */
  operations: Record<string, number>;
  /** `operationId status` -> exchanges, for statuses the description does not document. */
  undocumented: Record<string, number>;
}

export interface ContractTotals extends ContractRecord {
  files: number;
}

export function contractRecord(contract: OpenApiContract, file: string): ContractRecord {
  return {
    file,
    requests: contract.requestsChecked,
    responses: contract.responsesChecked,
    violations: contract.violations.length,
    operations: Object.fromEntries(contract.operations),
    undocumented: Object.fromEntries(contract.undocumented),
  };
}

/** The records in `dir` (files `<prefix>*.jsonl`); none when the directory does not exist. */
export function readRecordFiles(dir: string, prefix = ""): ContractRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(prefix) && name.endsWith(".jsonl"))
    .flatMap((name) => readFileSync(join(dir, name), "utf8").split("\n").filter(Boolean))
    .map((line) => JSON.parse(line) as ContractRecord);
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
}

export function sumRecords(records: readonly ContractRecord[]): ContractTotals {
  const total: ContractTotals = { file: "all", files: new Set(records.map((r) => r.file)).size, requests: 0, responses: 0, violations: 0, operations: {}, undocumented: {} };
  for (const record of records) {
    total.requests += record.requests;
    total.responses += record.responses;
    total.violations += record.violations;
    addCounts(total.operations, record.operations);
    addCounts(total.undocumented, record.undocumented);
  }
  return total;
}

const byCount = (a: [string, number], b: [string, number]) => b[1] - a[1] || a[0].localeCompare(b[0]);

/** The printed report. */
export function formatReport(total: ContractTotals): string {
  const lines = [
    `OpenAPI check: ${total.requests} requests and ${total.responses} responses checked, ${Object.keys(total.operations).length} operations, ` +
      `${total.files} test files, ${total.violations} violations`,
    "",
    "operation                                                        exchanges",
    ...Object.entries(total.operations)
      .sort(byCount)
      .map(([operation, count]) => `  ${operation.padEnd(62)} ${String(count).padStart(8)}`),
  ];
  const undocumented = Object.entries(total.undocumented).sort(byCount);
  lines.push("", undocumented.length === 0 ? "no undocumented statuses answered" : "undocumented statuses answered (allowed, with why):");
  for (const [pair, count] of undocumented) {
    const [operation, status] = pair.split(" ") as [string, string];
    lines.push(`  ${status} ${operation} ×${count}: ${undocumentedStatus(operation, Number(status))?.why ?? "NOT ON THE LIST (a violation)"}`);
  }
  return lines.join("\n");
}
