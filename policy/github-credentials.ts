/**
 * GitHub credentials: the App is the credential; a PAT is a break-glass fallback that must not
 * sit next to an App (mandatory) and is flagged while in use (advisory).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { providerResourceTypes } from "../components/resource-types.ts";
import { objectProp } from "./stack-resource.ts";

function hasApp(props: Record<string, unknown>): boolean {
  const app = objectProp(props.appAuth);
  return app !== undefined && Boolean(app.id);
}

function hasToken(props: Record<string, unknown>): boolean {
  return typeof props.token === "string" && props.token.length > 0;
}

export function patWithAppViolations(props: Record<string, unknown>): string[] {
  return hasApp(props) && hasToken(props) ? ["the GitHub provider has both a GitHub App and a PAT: remove the PAT"] : [];
}

export function patInUseViolations(props: Record<string, unknown>): string[] {
  return !hasApp(props) && hasToken(props) ? ["the GitHub provider uses the break-glass PAT: switch back to the GitHub App"] : [];
}

export const noPatWithApp: ResourceValidationPolicy = {
  name: "no-pat-with-app",
  description: "A PAT is never configured next to a GitHub App.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== providerResourceTypes.githubProvider) return;
    for (const violation of patWithAppViolations(args.props)) reportViolation(violation);
  },
};

export const patIsBreakGlass: ResourceValidationPolicy = {
  name: "pat-is-break-glass",
  description: "Flags a deployment that runs on the break-glass PAT instead of the GitHub App.",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    if (args.type !== providerResourceTypes.githubProvider) return;
    for (const violation of patInUseViolations(args.props)) reportViolation(violation);
  },
};
