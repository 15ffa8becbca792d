/** The GitHub App (`integration`) and its installations as GitHub renders them. */
import { githubTime } from "../github-time.ts";
import type { Account, AppIdentity, Installation } from "../state.ts";
import { nodeId, type Urls } from "./urls.ts";
import { simpleUser } from "./users.ts";

/** What runner-fleet's app needs: runners (org and repo), Actions, variables, metadata, PRs. */
export const appPermissions = {
  actions: "read",
  administration: "write",
  metadata: "read",
  pull_requests: "read",
  organization_self_hosted_runners: "write",
} as const;

export const appEvents = ["workflow_job"];

export function integration(app: AppIdentity, owner: Account, installationsCount: number, urls: Urls): Record<string, unknown> {
  const time = githubTime(app.createdAt);
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("Integration", app.id),
    client_id: `Iv1.${app.id.toString(16).padStart(16, "0")}`,
    owner: simpleUser(owner, urls),
    name: app.name,
    description: "runner-fleet lab app (emulated)",
    external_url: urls.html,
    html_url: `${urls.html}/apps/${app.slug}`,
    created_at: time,
    updated_at: time,
    permissions: appPermissions,
    events: appEvents,
    installations_count: installationsCount,
  };
}

export function installation(inst: Installation, account: Account, app: AppIdentity, urls: Urls): Record<string, unknown> {
  const time = githubTime(inst.createdAt);
  return {
    id: inst.id,
    // GitHub's description of `GET /app/installations` combines simple-user and enterprise with
    // allOf, so the account carries the enterprise members (name, slug, timestamps) as well.
    account: { ...simpleUser(account, urls), name: account.login, slug: account.login, created_at: time, updated_at: time },
    repository_selection: "all",
    access_tokens_url: `${urls.api}/app/installations/${inst.id}/access_tokens`,
    repositories_url: `${urls.api}/installation/repositories`,
    html_url: `${urls.html}/${account.type === "Organization" ? `organizations/${account.login}/` : ""}settings/installations/${inst.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: account.id,
    target_type: account.type,
    permissions: appPermissions,
    events: appEvents,
    created_at: time,
    updated_at: time,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}
