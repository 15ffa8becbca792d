/**
 * Self-hosted runners, for an organization and for a repository: JIT configs, listing (paged,
 * filtered by name), get, delete, registration and remove tokens.
 */
import { mintToken } from "../auth.ts";
import { githubTime } from "../github-time.ts";
import { notFound } from "../http-error.ts";
import { paginate } from "../pagination.ts";
import { runner as renderRunner } from "../representations/runners.ts";
import { asObject, optionalString, requiredInteger, requiredString, stringArray } from "../request-body.ts";
import type { Reply, Route, RouteRequest } from "../router.ts";
import type { RunnerScope } from "../state.ts";
import { idParam, visibleOrganization, visibleRepository, type RestContext } from "./access.ts";

type Scoped = (request: RouteRequest, ctx: RestContext) => RunnerScope;

const orgScope: Scoped = (request, ctx) => ({ kind: "org", org: visibleOrganization(request, ctx).login });
const repoScope: Scoped = (request, ctx) => ({ kind: "repo", repository: visibleRepository(request, ctx).fullName });

function generateJitConfig(scopeOf: Scoped) {
  return (request: RouteRequest, ctx: RestContext): Reply => {
    const scope = scopeOf(request, ctx);
    const body = asObject(request.body);
    const name = requiredString(body, "name");
    const runnerGroupId = requiredInteger(body, "runner_group_id");
    const labels = stringArray(body, "labels", { required: true, min: 1, max: 100 })!;
    const workFolder = optionalString(body, "work_folder") ?? "_work";
    const { runner, encodedJitConfig } = ctx.gh.generateJitRunner(scope, { name, labels, groupId: runnerGroupId, workFolder });
    return { status: 201, body: { runner: renderRunner(runner, ctx.gh.runnerStatus(runner)), encoded_jit_config: encodedJitConfig } };
  };
}

function listRunners(scopeOf: Scoped) {
  return (request: RouteRequest, ctx: RestContext): Reply => {
    const scope = scopeOf(request, ctx);
    const name = request.url.searchParams.get("name");
    // The `name` filter is an exact, case-insensitive match on GitHub.
    const all = ctx.gh.state.runnersIn(scope).filter((r) => name === null || r.name.toLowerCase() === name.toLowerCase());
    const page = paginate(all, { url: request.url, defaultPerPage: 30, maxPerPage: 100 });
    return {
      status: 200,
      body: { total_count: page.total, runners: page.items.map((r) => renderRunner(r, ctx.gh.runnerStatus(r))) },
      headers: page.link ? { link: page.link } : {},
    };
  };
}

function findRunner(scopeOf: Scoped, request: RouteRequest, ctx: RestContext) {
  const scope = scopeOf(request, ctx);
  const id = idParam(request, "runner_id");
  const runner = ctx.gh.state.runnersIn(scope).find((r) => r.id === id);
  if (!runner) throw notFound();
  return runner;
}

function getRunner(scopeOf: Scoped) {
  return (request: RouteRequest, ctx: RestContext): Reply => {
    const runner = findRunner(scopeOf, request, ctx);
    return { status: 200, body: renderRunner(runner, ctx.gh.runnerStatus(runner)) };
  };
}

function deleteRunner(scopeOf: Scoped) {
  return (request: RouteRequest, ctx: RestContext): Reply => {
    ctx.gh.deleteRunner(findRunner(scopeOf, request, ctx));
    return { status: 204 };
  };
}

function runnerToken(scopeOf: Scoped, kind: "registration" | "remove") {
  return (request: RouteRequest, ctx: RestContext): Reply => {
    const scope = scopeOf(request, ctx);
    const expiresAt = ctx.gh.now() + 3600_000;
    const token = mintToken("A", 29).toUpperCase();
    ctx.gh.state.runnerTokens.set(token, { scope, kind, expiresAt });
    return { status: 201, body: { token, expires_at: githubTime(expiresAt) } };
  };
}

const org = "/orgs/{org}/actions/runners";
const repo = "/repos/{owner}/{repo}/actions/runners";

export const runnerRoutes: Route<RestContext>[] = [
  { method: "POST", template: `${org}/generate-jitconfig`, auth: "installation", handle: generateJitConfig(orgScope) },
  { method: "POST", template: `${repo}/generate-jitconfig`, auth: "installation", handle: generateJitConfig(repoScope) },
  { method: "GET", template: org, auth: "installation", handle: listRunners(orgScope) },
  { method: "GET", template: repo, auth: "installation", handle: listRunners(repoScope) },
  { method: "GET", template: `${org}/{runner_id}`, auth: "installation", handle: getRunner(orgScope) },
  { method: "GET", template: `${repo}/{runner_id}`, auth: "installation", handle: getRunner(repoScope) },
  { method: "DELETE", template: `${org}/{runner_id}`, auth: "installation", handle: deleteRunner(orgScope) },
  { method: "DELETE", template: `${repo}/{runner_id}`, auth: "installation", handle: deleteRunner(repoScope) },
  { method: "POST", template: `${org}/registration-token`, auth: "installation", handle: runnerToken(orgScope, "registration") },
  { method: "POST", template: `${repo}/registration-token`, auth: "installation", handle: runnerToken(repoScope, "registration") },
  { method: "POST", template: `${org}/remove-token`, auth: "installation", handle: runnerToken(orgScope, "remove") },
  { method: "POST", template: `${repo}/remove-token`, auth: "installation", handle: runnerToken(repoScope, "remove") },
];
