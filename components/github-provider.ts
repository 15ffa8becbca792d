/**
 * The GitHub provider this stack manages runner groups, variables and webhooks with: the GitHub
 * App when one is configured (the normal case), the break-glass PAT otherwise. Never both.
 */
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import type { FleetConfig } from "./stack-config.ts";

export const defaultApiUrl = "https://api.github.com";

export function githubProviderArgs(settings: FleetConfig["github"]): github.ProviderArgs {
  const base: github.ProviderArgs = {
    owner: settings.owner,
    // The provider wants the API root with a trailing slash (GHES: https://HOST/api/v3/).
    ...(settings.apiUrl !== defaultApiUrl ? { baseUrl: `${settings.apiUrl}/` } : {}),
  };
  if (settings.auth.kind === "app") {
    return {
      ...base,
      appAuth: {
        id: String(settings.auth.appId),
        installationId: String(settings.auth.installationId),
        pemFile: pulumi.secret(settings.auth.privateKey.reveal()),
      },
    };
  }
  return { ...base, token: pulumi.secret(settings.auth.token.reveal()) };
}
