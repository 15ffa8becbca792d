/**
 * The GitHub App side: the app itself, its installations, the repo/org/user installation
 * lookups (JWT), installation access tokens (JWT -> token, one hour), and what an installation
 * token can see (`/installation/repositories`, token revocation).
 */
import { mintToken } from "../auth.ts";
import { githubTime } from "../github-time.ts";
import { notFound } from "../http-error.ts";
import { paginate } from "../pagination.ts";
import { installation as renderInstallation, integration, appPermissions } from "../representations/installations.ts";
import { repository as renderRepository } from "../representations/repositories.ts";
import { asObject, integerArray, stringArray } from "../request-body.ts";
import type { Reply, Route, RouteRequest } from "../router.ts";
import type { Installation } from "../state.ts";
import { idParam, type RestContext } from "./access.ts";

function render(inst: Installation, request: RouteRequest, ctx: RestContext) {
  const { state } = ctx.gh;
  return renderInstallation(inst, state.account(inst.account)!, state.app, request.urls);
}

function installationOf(login: string | undefined, ctx: RestContext): Installation {
  const inst = login === undefined ? undefined : ctx.gh.state.installationFor(login);
  if (!inst) throw notFound();
  return inst;
}

function getApp(request: RouteRequest, ctx: RestContext): Reply {
  const { state } = ctx.gh;
  return { status: 200, body: integration(state.app, state.account(state.app.owner)!, state.installations.size, request.urls) };
}

function listInstallations(request: RouteRequest, ctx: RestContext): Reply {
  const all = [...ctx.gh.state.installations.values()].sort((a, b) => a.id - b.id);
  const page = paginate(all, { url: request.url, defaultPerPage: 30, maxPerPage: 100 });
  return { status: 200, body: page.items.map((i) => render(i, request, ctx)), headers: page.link ? { link: page.link } : {} };
}

function getInstallation(request: RouteRequest, ctx: RestContext): Reply {
  const inst = ctx.gh.state.installations.get(idParam(request, "installation_id"));
  if (!inst) throw notFound();
  return { status: 200, body: render(inst, request, ctx) };
}

function createAccessToken(request: RouteRequest, ctx: RestContext): Reply {
  const { state } = ctx.gh;
  const inst = state.installations.get(idParam(request, "installation_id"));
  if (!inst) throw notFound();
  const body = asObject(request.body);
  // Narrowing a token to some repositories or permissions is accepted but not enforced.
  stringArray(body, "repositories");
  integerArray(body, "repository_ids");
  const token = mintToken("ghs_");
  const expiresAt = ctx.gh.now() + ctx.installationTokenTtlSeconds * 1000;
  state.installationTokens.set(token, { installationId: inst.id, expiresAt });
  return {
    status: 201,
    body: { token, expires_at: githubTime(expiresAt), permissions: appPermissions, repository_selection: "all" },
  };
}

function repositoriesOfInstallation(request: RouteRequest, ctx: RestContext): Reply {
  const { state } = ctx.gh;
  const principal = request.principal;
  const repos = [...state.repositories.values()]
    .filter((r) => r.installed)
    .filter((r) => principal.kind !== "installation" || r.owner.toLowerCase() === principal.account.toLowerCase())
    .sort((a, b) => a.id - b.id);
  const page = paginate(repos, { url: request.url, defaultPerPage: 30, maxPerPage: 100 });
  return {
    status: 200,
    body: {
      total_count: page.total,
      repositories: page.items.map((r) => renderRepository(r, state.account(r.owner)!, request.urls)),
      repository_selection: "all",
    },
    headers: page.link ? { link: page.link } : {},
  };
}

function revokeToken(request: RouteRequest, ctx: RestContext): Reply {
  const token = request.credential;
  if (token !== undefined) ctx.gh.state.installationTokens.delete(token);
  return { status: 204 };
}

export const installationRoutes: Route<RestContext>[] = [
  { method: "GET", template: "/app", auth: "app", handle: getApp },
  { method: "GET", template: "/app/installations", auth: "app", handle: listInstallations },
  { method: "GET", template: "/app/installations/{installation_id}", auth: "app", handle: getInstallation },
  { method: "POST", template: "/app/installations/{installation_id}/access_tokens", auth: "app", handle: createAccessToken },
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/installation",
    auth: "app",
    handle: (r, c) => {
      const repo = c.gh.state.repository(`${r.params.owner}/${r.params.repo}`);
      if (!repo || !repo.installed) throw notFound();
      return { status: 200, body: render(installationOf(repo.owner, c), r, c) };
    },
  },
  {
    method: "GET",
    template: "/orgs/{org}/installation",
    auth: "app",
    handle: (r, c) => {
      if (c.gh.state.account(r.params.org!)?.type !== "Organization") throw notFound();
      return { status: 200, body: render(installationOf(r.params.org, c), r, c) };
    },
  },
  {
    method: "GET",
    template: "/users/{username}/installation",
    auth: "app",
    handle: (r, c) => ({ status: 200, body: render(installationOf(r.params.username, c), r, c) }),
  },
  { method: "GET", template: "/installation/repositories", auth: "installation", handle: repositoriesOfInstallation },
  { method: "DELETE", template: "/installation/token", auth: "installation", handle: revokeToken },
];
