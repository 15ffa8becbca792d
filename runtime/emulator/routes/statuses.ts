/**
 * Commit statuses: create one on a commit the repository knows (a run's head commit, which for
 * a fork's pull request is in the base repository too), and list a commit's statuses, newest
 * first, as the pull request page shows them.
 */
import { GitHubHttpError } from "../http-error.ts";
import { commitStatus } from "../representations/statuses.ts";
import { asObject, oneOf, optionalString } from "../request-body.ts";
import type { Principal, Reply, Route, RouteRequest } from "../router.ts";
import type { Account, CommitStatus, Repository } from "../state.ts";
import { visibleRepository, type RestContext } from "./access.ts";

const states = ["error", "failure", "pending", "success"] as const;

function knownCommit(repo: Repository, sha: string, ctx: RestContext): string {
  const run = [...ctx.gh.state.runs.values()].find((r) => r.repository === repo.fullName && r.headSha === sha.toLowerCase());
  // GitHub: "No commit found for SHA: ..." (422, not in the REST description's documented statuses).
  if (!run) throw new GitHubHttpError(422, `No commit found for SHA: ${sha}`);
  return run.headSha;
}

/** Statuses made with an installation token are GitHub's `<app-slug>[bot]`; a static token stands for the owner. */
function creatorOf(principal: Principal, repo: Repository, ctx: RestContext): Account {
  const { state } = ctx.gh;
  if (principal.kind === "installation") return state.ensureAccount(`${state.app.slug}[bot]`, "Bot");
  return state.account(repo.owner)!;
}

function createStatus(request: RouteRequest, ctx: RestContext): Reply {
  const repo = visibleRepository(request, ctx);
  const body = asObject(request.body);
  const state = oneOf(body, "state", states);
  if (state === undefined) throw new GitHubHttpError(422, `"state" wasn't supplied.`);
  const sha = knownCommit(repo, request.params.sha ?? "", ctx);
  const creator = creatorOf(request.principal, repo, ctx);
  const status: CommitStatus = {
    id: ctx.gh.state.nextId("status"),
    state,
    context: optionalString(body, "context") ?? "default",
    description: optionalString(body, "description") ?? null,
    targetUrl: optionalString(body, "target_url") ?? null,
    creator: creator.login,
    createdAt: ctx.gh.now(),
  };
  ctx.gh.state.addStatus(repo.fullName, sha, status);
  return { status: 201, body: commitStatus(status, sha, repo, creator, request.urls) };
}

function listStatuses(request: RouteRequest, ctx: RestContext): Reply {
  const repo = visibleRepository(request, ctx);
  const sha = (request.params.ref ?? "").toLowerCase();
  const statuses = [...ctx.gh.state.statusesOf(repo.fullName, sha)].reverse();
  return {
    status: 200,
    body: statuses.map((s) => commitStatus(s, sha, repo, ctx.gh.state.account(s.creator), request.urls)),
  };
}

export const statusRoutes: Route<RestContext>[] = [
  { method: "POST", template: "/repos/{owner}/{repo}/statuses/{sha}", auth: "installation", handle: createStatus },
  { method: "GET", template: "/repos/{owner}/{repo}/commits/{ref}/statuses", auth: "installation", handle: listStatuses },
];
