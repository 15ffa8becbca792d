/** Organization runner groups: list, get, create, update, delete, repository access, runners. */
import { GitHubHttpError, notFound } from "../http-error.ts";
import { paginate } from "../pagination.ts";
import { repository as renderRepository } from "../representations/repositories.ts";
import { runner as renderRunner, runnerGroup as renderGroup } from "../representations/runners.ts";
import { asObject, integerArray, oneOf, optionalBoolean, optionalString, requiredString, stringArray } from "../request-body.ts";
import type { Reply, Route, RouteRequest } from "../router.ts";
import type { RunnerGroup } from "../state.ts";
import { idParam, visibleOrganization, type RestContext } from "./access.ts";

const visibilities = ["selected", "all", "private"] as const;
const base = "/orgs/{org}/actions/runner-groups";

function findGroup(request: RouteRequest, ctx: RestContext): RunnerGroup {
  const org = visibleOrganization(request, ctx);
  const group = ctx.gh.state.group(org.login, idParam(request, "runner_group_id"));
  if (!group) throw notFound();
  return group;
}

function checkRepositoryIds(ctx: RestContext, org: string, ids: number[]): void {
  for (const id of ids) {
    const repo = ctx.gh.state.repositoryById(id);
    if (!repo || repo.owner.toLowerCase() !== org.toLowerCase()) {
      throw new GitHubHttpError(422, `Invalid request.\n\nRepository id ${id} is not a repository of ${org}.`);
    }
  }
}

function list(request: RouteRequest, ctx: RestContext): Reply {
  const org = visibleOrganization(request, ctx);
  let groups = ctx.gh.state.groupsOf(org.login);
  const visibleTo = request.url.searchParams.get("visible_to_repository");
  if (visibleTo !== null) {
    const repo = ctx.gh.state.repository(`${org.login}/${visibleTo}`);
    groups = groups.filter(
      (g) =>
        repo !== undefined &&
        (g.visibility === "all" || (g.visibility === "private" && repo.private) || g.selectedRepositoryIds.includes(repo.id)),
    );
  }
  const page = paginate(groups, { url: request.url, defaultPerPage: 30, maxPerPage: 100 });
  return {
    status: 200,
    body: { total_count: page.total, runner_groups: page.items.map((g) => renderGroup(g, request.urls)) },
    headers: page.link ? { link: page.link } : {},
  };
}

function create(request: RouteRequest, ctx: RestContext): Reply {
  const org = visibleOrganization(request, ctx);
  const body = asObject(request.body);
  const name = requiredString(body, "name");
  if (ctx.gh.state.groupsOf(org.login).some((g) => g.name.toLowerCase() === name.toLowerCase())) {
    throw new GitHubHttpError(409, `Runner group ${name} already exists`);
  }
  const selected = integerArray(body, "selected_repository_ids") ?? [];
  checkRepositoryIds(ctx, org.login, selected);
  const runners = integerArray(body, "runners") ?? [];
  const group: RunnerGroup = {
    id: ctx.gh.state.nextId("runnerGroup"),
    org: org.login,
    name,
    visibility: oneOf(body, "visibility", visibilities) ?? "all",
    isDefault: false,
    allowsPublicRepositories: optionalBoolean(body, "allows_public_repositories") ?? false,
    restrictedToWorkflows: optionalBoolean(body, "restricted_to_workflows") ?? false,
    selectedWorkflows: stringArray(body, "selected_workflows") ?? [],
    selectedRepositoryIds: selected,
  };
  ctx.gh.state.putGroup(group);
  for (const id of runners) {
    const runner = ctx.gh.state.runners.get(id);
    if (runner && runner.scope.kind === "org" && runner.scope.org.toLowerCase() === org.login.toLowerCase()) runner.groupId = group.id;
  }
  return { status: 201, body: renderGroup(group, request.urls) };
}

function update(request: RouteRequest, ctx: RestContext): Reply {
  const group = findGroup(request, ctx);
  const body = asObject(request.body);
  const name = requiredString(body, "name");
  if (group.isDefault && name !== group.name) throw new GitHubHttpError(422, "Invalid request.\n\nThe default runner group cannot be renamed.");
  group.name = name;
  group.visibility = oneOf(body, "visibility", visibilities) ?? group.visibility;
  group.allowsPublicRepositories = optionalBoolean(body, "allows_public_repositories") ?? group.allowsPublicRepositories;
  group.restrictedToWorkflows = optionalBoolean(body, "restricted_to_workflows") ?? group.restrictedToWorkflows;
  group.selectedWorkflows = stringArray(body, "selected_workflows") ?? group.selectedWorkflows;
  // network_configuration_id is accepted and ignored: the emulator has no hosted runners.
  optionalString(body, "network_configuration_id");
  return { status: 200, body: renderGroup(group, request.urls) };
}

function remove(request: RouteRequest, ctx: RestContext): Reply {
  const group = findGroup(request, ctx);
  if (group.isDefault) throw new GitHubHttpError(422, "Invalid request.\n\nThe default runner group cannot be deleted.");
  // Runners of a deleted group move to the default group, as on GitHub.
  for (const runner of ctx.gh.state.runnersIn({ kind: "org", org: group.org })) if (runner.groupId === group.id) runner.groupId = 1;
  ctx.gh.state.deleteGroup(group);
  return { status: 204 };
}

function listRepositories(request: RouteRequest, ctx: RestContext): Reply {
  const group = findGroup(request, ctx);
  const repos = group.selectedRepositoryIds
    .map((id) => ctx.gh.state.repositoryById(id))
    .filter((r) => r !== undefined);
  const page = paginate(repos, { url: request.url, defaultPerPage: 30, maxPerPage: 100 });
  return {
    status: 200,
    body: {
      total_count: page.total,
      repositories: page.items.map((r) => renderRepository(r, ctx.gh.state.account(r.owner)!, request.urls)),
    },
    headers: page.link ? { link: page.link } : {},
  };
}

function setRepositories(request: RouteRequest, ctx: RestContext): Reply {
  const group = findGroup(request, ctx);
  const ids = integerArray(asObject(request.body), "selected_repository_ids", true)!;
  checkRepositoryIds(ctx, group.org, ids);
  group.selectedRepositoryIds = [...new Set(ids)];
  ctx.gh.schedule();
  return { status: 204 };
}

function addRepository(request: RouteRequest, ctx: RestContext): Reply {
  const group = findGroup(request, ctx);
  const id = idParam(request, "repository_id");
  checkRepositoryIds(ctx, group.org, [id]);
  if (!group.selectedRepositoryIds.includes(id)) group.selectedRepositoryIds.push(id);
  ctx.gh.schedule();
  return { status: 204 };
}

function removeRepository(request: RouteRequest, ctx: RestContext): Reply {
  const group = findGroup(request, ctx);
  const id = idParam(request, "repository_id");
  group.selectedRepositoryIds = group.selectedRepositoryIds.filter((r) => r !== id);
  return { status: 204 };
}

function listRunners(request: RouteRequest, ctx: RestContext): Reply {
  const group = findGroup(request, ctx);
  const runners = ctx.gh.state.runnersIn({ kind: "org", org: group.org }).filter((r) => r.groupId === group.id);
  const page = paginate(runners, { url: request.url, defaultPerPage: 30, maxPerPage: 100 });
  return {
    status: 200,
    body: { total_count: page.total, runners: page.items.map((r) => renderRunner(r, ctx.gh.runnerStatus(r))) },
    headers: page.link ? { link: page.link } : {},
  };
}

export const runnerGroupRoutes: Route<RestContext>[] = [
  { method: "GET", template: base, auth: "installation", handle: list },
  { method: "POST", template: base, auth: "installation", handle: create },
  { method: "GET", template: `${base}/{runner_group_id}`, auth: "installation", handle: (r, c) => ({ status: 200, body: renderGroup(findGroup(r, c), r.urls) }) },
  { method: "PATCH", template: `${base}/{runner_group_id}`, auth: "installation", handle: update },
  { method: "DELETE", template: `${base}/{runner_group_id}`, auth: "installation", handle: remove },
  { method: "GET", template: `${base}/{runner_group_id}/repositories`, auth: "installation", handle: listRepositories },
  { method: "PUT", template: `${base}/{runner_group_id}/repositories`, auth: "installation", handle: setRepositories },
  { method: "PUT", template: `${base}/{runner_group_id}/repositories/{repository_id}`, auth: "installation", handle: addRepository },
  { method: "DELETE", template: `${base}/{runner_group_id}/repositories/{repository_id}`, auth: "installation", handle: removeRepository },
  { method: "GET", template: `${base}/{runner_group_id}/runners`, auth: "installation", handle: listRunners },
];
