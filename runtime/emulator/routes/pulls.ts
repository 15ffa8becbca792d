/** `GET /repos/{owner}/{repo}/pulls/{pull_number}`: pull requests known from enqueued jobs' events. */
import { notFound } from "../http-error.ts";
import { pullRequest } from "../representations/pulls.ts";
import type { Reply, Route, RouteRequest } from "../router.ts";
import { idParam, visibleRepository, type RestContext } from "./access.ts";

function getPull(request: RouteRequest, ctx: RestContext): Reply {
  const { state } = ctx.gh;
  const repo = visibleRepository(request, ctx);
  const pr = state.pullRequest(repo.fullName, idParam(request, "pull_number"));
  if (!pr) throw notFound();
  const headRepo = state.repository(pr.headRepository)!;
  return {
    status: 200,
    body: pullRequest(
      {
        pr,
        repo,
        repoOwner: state.account(repo.owner)!,
        headRepo,
        headRepoOwner: state.account(headRepo.owner)!,
        author: state.account(pr.author)!,
      },
      request.urls,
    ),
  };
}

export const pullRoutes: Route<RestContext>[] = [
  { method: "GET", template: "/repos/{owner}/{repo}/pulls/{pull_number}", auth: "installation", handle: getPull },
];
