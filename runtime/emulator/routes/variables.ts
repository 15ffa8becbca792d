/**
 * Repository Actions variables. As on GitHub: names are stored upper-cased and looked up
 * case-insensitively, create answers 201 `{}` (409 if the name exists), update 204, list pages
 * default to 10 (at most 30).
 */
import { githubTime } from "../github-time.ts";
import { GitHubHttpError, invalidRequest, notFound } from "../http-error.ts";
import { paginate } from "../pagination.ts";
import { asObject, optionalString, requiredString } from "../request-body.ts";
import type { Reply, Route, RouteRequest } from "../router.ts";
import type { Variable } from "../state.ts";
import { visibleRepository, type RestContext } from "./access.ts";

function checkName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw invalidRequest(`Variable name ${JSON.stringify(name)} may only contain letters, digits and underscores and may not start with a digit.`);
  }
  if (/^GITHUB_/i.test(name)) throw invalidRequest("Variable names must not start with the GITHUB_ prefix.");
  return name.toUpperCase();
}

const render = (v: Variable) => ({
  name: v.name,
  value: v.value,
  created_at: githubTime(v.createdAt),
  updated_at: githubTime(v.updatedAt),
});

function variablesOf(request: RouteRequest, ctx: RestContext) {
  return ctx.gh.state.variablesOf(visibleRepository(request, ctx).fullName);
}

function list(request: RouteRequest, ctx: RestContext): Reply {
  const all = [...variablesOf(request, ctx).values()].sort((a, b) => a.name.localeCompare(b.name));
  const page = paginate(all, { url: request.url, defaultPerPage: 10, maxPerPage: 30 });
  return {
    status: 200,
    body: { total_count: page.total, variables: page.items.map(render) },
    headers: page.link ? { link: page.link } : {},
  };
}

function create(request: RouteRequest, ctx: RestContext): Reply {
  const variables = variablesOf(request, ctx);
  const body = asObject(request.body);
  const name = checkName(requiredString(body, "name"));
  const value = requiredString(body, "value");
  if (variables.has(name)) throw new GitHubHttpError(409, "Already exists - Variable already exists");
  const now = ctx.gh.now();
  variables.set(name, { name, value, createdAt: now, updatedAt: now });
  return { status: 201, body: {} };
}

function get(request: RouteRequest, ctx: RestContext): Reply {
  const variable = variablesOf(request, ctx).get((request.params.name ?? "").toUpperCase());
  if (!variable) throw notFound();
  return { status: 200, body: render(variable) };
}

function update(request: RouteRequest, ctx: RestContext): Reply {
  const variables = variablesOf(request, ctx);
  const current = variables.get((request.params.name ?? "").toUpperCase());
  if (!current) throw notFound();
  const body = asObject(request.body);
  const newName = optionalString(body, "name");
  const value = optionalString(body, "value");
  const now = ctx.gh.now();
  if (newName !== undefined && newName.toUpperCase() !== current.name) {
    const renamed = checkName(newName);
    if (variables.has(renamed)) throw new GitHubHttpError(409, "Already exists - Variable already exists");
    variables.delete(current.name);
    current.name = renamed;
    variables.set(renamed, current);
  }
  if (value !== undefined) current.value = value;
  current.updatedAt = now;
  return { status: 204 };
}

function remove(request: RouteRequest, ctx: RestContext): Reply {
  const variables = variablesOf(request, ctx);
  const name = (request.params.name ?? "").toUpperCase();
  if (!variables.delete(name)) throw notFound();
  return { status: 204 };
}

const base = "/repos/{owner}/{repo}/actions/variables";

export const variableRoutes: Route<RestContext>[] = [
  { method: "GET", template: base, auth: "installation", handle: list },
  { method: "POST", template: base, auth: "installation", handle: create },
  { method: "GET", template: `${base}/{name}`, auth: "installation", handle: get },
  { method: "PATCH", template: `${base}/{name}`, auth: "installation", handle: update },
  { method: "DELETE", template: `${base}/{name}`, auth: "installation", handle: remove },
];
