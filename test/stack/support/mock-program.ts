/**
 * Runs the real program (index.ts) under Pulumi's documented unit-test mocks and records what it
 * registers and invokes. Config and mocks are installed before the program is imported, as the
 * SDK requires; vi.resetModules lets one test file run the program more than once.
 */
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import type { MockConfig } from "./stack-file.ts";

export interface Registration {
  type: string;
  name: string;
  custom: boolean;
  /** Inputs as the engine would receive them (secrets unwrapped, see `secretPaths`). */
  inputs: Record<string, unknown>;
  provider?: string;
}

export interface MockRepository {
  repoId: number;
  visibility: "private" | "internal" | "public";
}

export const getRepositoryToken = "github:index/getRepository:getRepository";

export class Recorder implements pulumi.runtime.Mocks {
  readonly registrations: Registration[] = [];
  readonly calls: pulumi.runtime.MockCallArgs[] = [];
  private nextId = 100;

  constructor(readonly repositories: Record<string, MockRepository>) {}

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    this.registrations.push({
      type: args.type,
      name: args.name,
      custom: args.custom ?? false,
      inputs: args.inputs as Record<string, unknown>,
      ...(args.provider ? { provider: args.provider } : {}),
    });
    if (!args.custom) return { id: undefined, state: {} };
    // The github provider uses numeric ids for runner groups; everything else gets a name-based id.
    const id = args.type === "github:index/actionsRunnerGroup:ActionsRunnerGroup" ? String(this.nextId++) : `${args.name}-id`;
    return { id, state: { ...args.inputs, stdout: "", stderr: "" } };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    this.calls.push(args);
    if (args.token === getRepositoryToken) {
      const fullName = String((args.inputs as { fullName?: string }).fullName);
      const repository = this.repositories[fullName];
      if (!repository) throw new Error(`mock GitHub has no repository ${fullName}`);
      return {
        fullName,
        name: fullName.split("/")[1],
        repoId: repository.repoId,
        nodeId: `R_${repository.repoId}`,
        visibility: repository.visibility,
        private: repository.visibility !== "public",
      };
    }
    throw new Error(`unexpected invoke ${args.token}`);
  }

  custom(): Registration[] {
    return this.registrations.filter((r) => r.custom);
  }

  ofType(type: string): Registration[] {
    return this.registrations.filter((r) => r.type === type);
  }

  named(name: string): Registration {
    const found = this.registrations.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one registration named ${name}, found ${found.length}`);
    return found[0]!;
  }
}

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
