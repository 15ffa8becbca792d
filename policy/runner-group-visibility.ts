/** No runner group of the fleet may be visible to all repositories or to public ones. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { providerResourceTypes } from "../components/resource-types.ts";

export function runnerGroupViolations(props: Record<string, unknown>): string[] {
  const violations: string[] = [];
  if (props.visibility !== "selected") {
    violations.push(`runner group "${String(props.name)}" has visibility "${String(props.visibility)}": it must be "selected"`);
  }
  if (props.allowsPublicRepositories === true) {
    violations.push(`runner group "${String(props.name)}" allows public repositories: anyone could run code on the hosts`);
  }
  const ids = props.selectedRepositoryIds;
  if (!Array.isArray(ids) || ids.length === 0) {
    violations.push(`runner group "${String(props.name)}" selects no repositories`);
  }
  return violations;
}

export const runnerGroupVisibility: ResourceValidationPolicy = {
  name: "runner-group-selected-private-only",
  description: "Runner groups are visible only to selected repositories and never to public repositories.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== providerResourceTypes.runnerGroup) return;
    for (const violation of runnerGroupViolations(args.props)) reportViolation(violation);
  },
};
