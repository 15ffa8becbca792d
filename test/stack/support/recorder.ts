/**
 * Pulumi mocks that record what the program registers and invokes, and answer GitHub lookups
 * from a small table of repositories.
 */
import type * as pulumi from "@pulumi/pulumi";

export interface Registration {
  type: string;
  name: string;
  custom: boolean;
  /** Inputs as the engine receives them: secrets inside Pulumi's secret wrapper (see secret-inputs.ts). */
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
