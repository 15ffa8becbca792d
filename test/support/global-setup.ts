import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { formatReport, readRecordFiles, sumRecords } from "../../runtime/emulator/openapi-check/report.ts";

declare module "vitest" {
  interface ProvidedContext {
    /** Path prefix of this run's OpenAPI record files (openapi-check-setup.ts appends `<pid>.jsonl`). */
    openapiRecords: string;
  }
}

/** Where each project's OpenAPI check records live; `npm run openapi-report` adds them all up. */
const recordsDir = ".cache/openapi-check";

/**
 * Builds the bundles once per run (integration tests and CLI tests execute dist/, as hosts do),
 * and collects the OpenAPI check's counts of this project's files, printed when the run ends.
 */
export default function setup(project: TestProject): () => void {
  execFileSync(process.execPath, ["scripts/build.mjs", "--quiet"], { stdio: "inherit" });
  const prefix = `${project.name || "default"}-`;
  mkdirSync(recordsDir, { recursive: true });
  for (const name of readdirSync(recordsDir)) if (name.startsWith(prefix)) rmSync(join(recordsDir, name));
  project.provide("openapiRecords", join(recordsDir, prefix));
  return () => {
    const records = readRecordFiles(recordsDir, prefix);
    if (records.length === 0) return;
    const total = sumRecords(records);
    writeFileSync(join(recordsDir, `${prefix}report.txt`), formatReport(total) + "\n");
    console.log(`\n[${project.name}] ${formatReport(total).split("\n")[0]} (npm run --silent openapi-report for the details)`);
  };
}
