/** Users and organizations as GitHub renders them (`simple-user`, `organization-simple`). */
import type { Account } from "../state.ts";
import { nodeId, type Urls } from "./urls.ts";

export function simpleUser(account: Account, urls: Urls): Record<string, unknown> {
  // A bot's login has brackets (`dependabot[bot]`), which GitHub percent-encodes in its URLs.
  const segment = encodeURIComponent(account.login);
  const api = `${urls.api}/users/${segment}`;
  return {
    login: account.login,
    id: account.id,
    node_id: nodeId(account.type === "Organization" ? "Organization" : "User", account.id),
    avatar_url: `${urls.html}/avatars/u/${account.id}`,
    gravatar_id: "",
    url: api,
    html_url: `${urls.html}/${segment}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: account.type,
    user_view_type: "public",
    site_admin: false,
  };
}

export function organizationSimple(account: Account, urls: Urls): Record<string, unknown> {
  const api = `${urls.api}/orgs/${account.login}`;
  return {
    login: account.login,
    id: account.id,
    node_id: nodeId("Organization", account.id),
    url: api,
    repos_url: `${api}/repos`,
    events_url: `${api}/events`,
    hooks_url: `${api}/hooks`,
    issues_url: `${api}/issues`,
    members_url: `${api}/members{/member}`,
    public_members_url: `${api}/public_members{/member}`,
    avatar_url: `${urls.html}/avatars/u/${account.id}`,
    description: null,
  };
}
