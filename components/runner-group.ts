/**
 * The runner group the fleet's runners join. With scope org: an org runner group visible only to
 * the selected repositories, public repositories refused. With scope repo (a user-owned
 * repository has no org): the repository's default group.
 */
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { componentTypes } from "./resource-types.ts";
import type { FleetConfig } from "./stack-config.ts";

/** GitHub's id of a repository's default runner group. */
export const repoDefaultRunnerGroupId = 1;

export function runnerGroupArgs(
  group: FleetConfig["runnerGroup"],
  repositoryIds: pulumi.Input<number[]>,
): github.ActionsRunnerGroupArgs {
  return {
    name: group.name,
    visibility: "selected",
    selectedRepositoryIds: repositoryIds,
    allowsPublicRepositories: false,
    restrictedToWorkflows: group.workflows.length > 0,
    ...(group.workflows.length > 0 ? { selectedWorkflows: group.workflows } : {}),
  };
}

/** Self-hosted runners must never take jobs of public repositories (anyone can open a PR). */
export function checkRepositoryVisibility(fullName: string, repository: { visibility: string; private: boolean }): void {
  if (repository.visibility === "public" || (repository.visibility === "" && !repository.private)) {
    throw new Error(`runner-fleet:repositories: ${fullName} is public; runner-fleet only serves private and internal repositories`);
  }
}

export interface RunnerGroupArgs {
  github: FleetConfig["github"];
  group: FleetConfig["runnerGroup"];
  provider: github.Provider;
}

export class RunnerGroup extends pulumi.ComponentResource {
  /** The runner group id the controllers register JIT runners in. */
  readonly groupId: pulumi.Output<number>;
  readonly repositoryIds: pulumi.Output<number[]>;

  constructor(name: string, args: RunnerGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super(componentTypes.runnerGroup, name, {}, opts);
    const ids = args.github.repositories.map((fullName) =>
      github
        .getRepositoryOutput({ fullName }, { parent: this, provider: args.provider })
        .apply((repository) => {
          checkRepositoryVisibility(fullName, repository);
          return repository.repoId;
        }),
    );
    this.repositoryIds = pulumi.all(ids);
    if (args.github.scope === "org") {
      const group = new github.ActionsRunnerGroup(name, runnerGroupArgs(args.group, this.repositoryIds), {
        parent: this,
        provider: args.provider,
      });
      this.groupId = group.id.apply((id) => Number(id));
    } else {
      // The lookups still run: they are what refuses a public repository.
      this.groupId = this.repositoryIds.apply(() => repoDefaultRunnerGroupId);
    }
    this.registerOutputs({ groupId: this.groupId, repositoryIds: this.repositoryIds, scope: args.github.scope });
  }
}
