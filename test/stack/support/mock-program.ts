/**
 * Runs the real program (index.ts) under Pulumi's documented unit-test mocks and records what it
 * registers and invokes. Config and mocks are installed before the program is imported, as the
 * SDK requires; vi.resetModules lets one test file run the program more than once.
 */
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { Recorder } from "./recorder.ts";
import type { MockRepository } from "./recorder.ts";
import type { MockConfig } from "./stack-file.ts";

export { Recorder, getRepositoryToken } from "./recorder.ts";
export type { MockRepository, Registration } from "./recorder.ts";

/** The program module's exports: the stack outputs. */
export type ProgramOutputs = Record<string, unknown>;

/** Waits until every registration and invoke the program started has been answered. */
export async function settle(): Promise<void> {
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (typeof runtime.waitForRPCs !== "function") throw new Error("@pulumi/pulumi no longer exports waitForRPCs");
  await runtime.waitForRPCs();
}

export async function runProgram(
  config: MockConfig,
  repositories: Record<string, MockRepository>,
  options: { preview?: boolean } = {},
): Promise<{ recorder: Recorder; outputs: ProgramOutputs }> {
  const recorder = new Recorder(repositories);
  await pulumi.runtime.setMocks(recorder, "runner-fleet", "dev", options.preview ?? false);
  pulumi.runtime.setAllConfig(config.values, config.secretKeys);
  vi.resetModules();
  const outputs = (await import("../../../index.ts")) as ProgramOutputs;
  await settle();
  return { recorder, outputs };
}

/** Resolves an Output (or plain value) to its value, and whether it is secret. */
export async function resolve<T>(value: pulumi.Input<T>): Promise<{ value: T; secret: boolean }> {
  const output = pulumi.output(value);
  const [resolved, secret] = await Promise.all([
    new Promise<T>((done) => output.apply((v) => done(v as T))),
    pulumi.isSecret(output),
  ]);
  return { value: resolved, secret };
}
