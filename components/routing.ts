/**
 * Per repository, the Actions variables the workflows read to route trusted pull requests:
 * whether to use the fleet at all, and the labels to put in `runs-on`.
 */
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { componentTypes } from "./resource-types.ts";

export const routingVariableNames = {
  /** "true" sends trusted pull requests to the fleet; "false" keeps them on GitHub-hosted runners. */
  trustedRouting: "CI_SELF_HOSTED_TRUSTED_ROUTING",
  /** JSON array for `runs-on: ${{ fromJSON(vars.CI_SELF_HOSTED_RUNS_ON) }}`. */
  runsOn: "CI_SELF_HOSTED_RUNS_ON",
  /** JSON object pool -> labels, for a particular VM size: `fromJSON(vars.CI_SELF_HOSTED_POOL_LABELS).large`. */
  poolLabels: "CI_SELF_HOSTED_POOL_LABELS",
} as const;

export interface RoutingValues {
  trustedRouting: boolean;
  labelSet: string[];
  poolLabelSets: Record<string, string[]>;
}

export function routingVariables(values: RoutingValues): Record<string, string> {
  return {
    [routingVariableNames.trustedRouting]: values.trustedRouting ? "true" : "false",
    [routingVariableNames.runsOn]: JSON.stringify(values.labelSet),
    [routingVariableNames.poolLabels]: JSON.stringify(values.poolLabelSets),
  };
}

export interface RoutingArgs {
  /** owner/name */
  repository: string;
  variables: Record<string, string>;
  provider: github.Provider;
}

export class Routing extends pulumi.ComponentResource {
  constructor(name: string, args: RoutingArgs, opts?: pulumi.ComponentResourceOptions) {
    super(componentTypes.routing, name, {}, opts);
    const repositoryName = args.repository.split("/")[1]!;
    for (const [variableName, value] of Object.entries(args.variables)) {
      new github.ActionsVariable(
        `${name}-${variableName.toLowerCase().replace(/_/g, "-")}`,
        { repository: repositoryName, variableName, value },
        { parent: this, provider: args.provider },
      );
    }
    this.registerOutputs({ repository: args.repository, variables: args.variables });
  }
}
