/**
 * Runs index.ts under mocks in its own process, the way Pulumi's Node.js language host does:
 * an error the program raises asynchronously (in an `apply`) ends the run with exit code 1 and
 * the message on stderr. Reads `{ config, repositories }` as JSON on stdin; prints one
 * `registered TYPE NAME` line per registration on stdout.
 */
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { Recorder } from "./recorder.ts";
import type { MockRepository } from "./recorder.ts";
import type { MockConfig } from "./stack-file.ts";

const input = JSON.parse(readFileSync(0, "utf8")) as { config: MockConfig; repositories: Record<string, MockRepository> };
const recorder = new Recorder(input.repositories);

function finish(code: number, error?: unknown): never {
  for (const r of recorder.registrations) process.stdout.write(`registered ${r.type} ${r.name}\n`);
  if (error !== undefined) process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(code);
}

process.on("unhandledRejection", (error) => finish(1, error));
await pulumi.runtime.setMocks(recorder, "runner-fleet", "dev", false);
pulumi.runtime.setAllConfig(input.config.values, input.config.secretKeys);
try {
  await import("../../../index.ts");
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  // Let any rejection still travelling through the Output graph surface before declaring success.
  await new Promise((resolve) => setTimeout(resolve, 200));
  finish(0);
} catch (error) {
  finish(1, error);
}
