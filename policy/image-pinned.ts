/** The runner image installs an exact actions/runner release, verified by its SHA-256. */
import type { StackValidationPolicy } from "@pulumi/policy";
import { componentTypes } from "../components/resource-types.ts";
import { ofType } from "./stack-resource.ts";
import type { StackResource, Violation } from "./stack-resource.ts";

export function imagePinViolations(resources: readonly StackResource[]): Violation[] {
  const violations: Violation[] = [];
  for (const image of ofType(resources, componentTypes.baseImage)) {
    const recipe = (image.props.recipe ?? {}) as Record<string, unknown>;
    if (!/^\d+\.\d+\.\d+$/.test(String(recipe.runnerVersion))) {
      violations.push({ message: `image ${image.name}: actions/runner version "${String(recipe.runnerVersion)}" is not an exact release`, urn: image.urn });
    }
    if (!/^[0-9a-f]{64}$/.test(String(recipe.runnerSha256))) {
      violations.push({ message: `image ${image.name}: actions/runner is not pinned by SHA-256`, urn: image.urn });
    }
    if (recipe.user === "root") violations.push({ message: `image ${image.name}: the runner runs as root`, urn: image.urn });
  }
  return violations;
}

export const runnerImagePinned: StackValidationPolicy = {
  name: "runner-image-pinned",
  description: "The base image pins actions/runner by exact version and SHA-256 and runs it as a non-root user.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const violation of imagePinViolations(args.resources)) reportViolation(violation.message, violation.urn);
  },
};
