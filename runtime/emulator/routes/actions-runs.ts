/** Workflow runs and their jobs: list (status/event/branch/actor filters), get, force-cancel, jobs of a run, get job. */
import { notFound } from "../http-error.ts";
import { paginate } from "../pagination.ts";
import { job as renderJob, workflowRun as renderRun } from "../representations/runs.ts";
import type { Reply, Route, RouteRequest } from "../router.ts";
import type { Repository, WorkflowRun } from "../state.ts";
import { idParam, visibleRepository, type RestContext } from "./access.ts";

function renderRunOf(run: WorkflowRun, repo: Repository, request: RouteRequest, ctx: RestContext) {
  const { state } = ctx.gh;
  const headRepo = state.repository(run.headRepository)!;
  const { status, conclusion } = ctx.gh.runStatusOf(run.id);
  return renderRun(
    {
      run,
      jobs: state.jobsOfRun(run.id),
      repo,
      repoOwner: state.account(repo.owner)!,
      headRepo,
      headRepoOwner: state.account(headRepo.owner)!,
      actor: state.account(run.event.sender.login)!,
      status,
      conclusion,
    },
    request.urls,
  );
}

function findRun(request: RouteRequest, ctx: RestContext): { run: WorkflowRun; repo: Repository } {
  const repo = visibleRepository(request, ctx);
  const run = ctx.gh.state.runs.get(idParam(request, "run_id"));
  if (!run || run.repository !== repo.fullName) throw notFound();
  return { run, repo };
}

function listRuns(request: RouteRequest, ctx: RestContext): Reply {
  const repo = visibleRepository(request, ctx);
  const q = request.url.searchParams;
  const runs = [...ctx.gh.state.runs.values()]
    .filter((run) => run.repository === repo.fullName)
    .filter((run) => {
      const status = q.get("status");
      if (status !== null) {
        // `status` matches either the run's status or its conclusion, as on GitHub.
        const current = ctx.gh.runStatusOf(run.id);
        if (current.status !== status && current.conclusion !== status) return false;
      }
      if (q.get("event") !== null && run.event.name !== q.get("event")) return false;
      if (q.get("branch") !== null && run.event.headBranch !== q.get("branch")) return false;
      if (q.get("actor") !== null && run.event.sender.login.toLowerCase() !== q.get("actor")!.toLowerCase()) return false;
      if (q.get("head_sha") !== null && run.headSha !== q.get("head_sha")) return false;
      return true;
    })
    .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
  const page = paginate(runs, { url: request.url, defaultPerPage: 30, maxPerPage: 100 });
  return {
    status: 200,
    body: { total_count: page.total, workflow_runs: page.items.map((run) => renderRunOf(run, repo, request, ctx)) },
    headers: page.link ? { link: page.link } : {},
  };
}

function getRun(request: RouteRequest, ctx: RestContext): Reply {
  const { run, repo } = findRun(request, ctx);
  return { status: 200, body: renderRunOf(run, repo, request, ctx) };
}

function forceCancelRun(request: RouteRequest, ctx: RestContext): Reply {
  const { run } = findRun(request, ctx);
  ctx.gh.forceCancelRun(run);
  return { status: 202, body: {} };
}

function listJobs(request: RouteRequest, ctx: RestContext): Reply {
  const { run, repo } = findRun(request, ctx);
  const jobs = ctx.gh.state.jobsOfRun(run.id);
  const page = paginate(jobs, { url: request.url, defaultPerPage: 30, maxPerPage: 100 });
  return {
    status: 200,
    body: { total_count: page.total, jobs: page.items.map((j) => renderJob(j, run, repo, request.urls)) },
    headers: page.link ? { link: page.link } : {},
  };
}

function getJob(request: RouteRequest, ctx: RestContext): Reply {
  const repo = visibleRepository(request, ctx);
  const job = ctx.gh.state.jobs.get(idParam(request, "job_id"));
  if (!job || job.repository !== repo.fullName) throw notFound();
  return { status: 200, body: renderJob(job, ctx.gh.state.runs.get(job.runId)!, repo, request.urls) };
}

const base = "/repos/{owner}/{repo}/actions";

export const actionsRunRoutes: Route<RestContext>[] = [
  { method: "GET", template: `${base}/runs`, auth: "installation", handle: listRuns },
  { method: "GET", template: `${base}/runs/{run_id}`, auth: "installation", handle: getRun },
  { method: "POST", template: `${base}/runs/{run_id}/force-cancel`, auth: "installation", handle: forceCancelRun },
  { method: "GET", template: `${base}/runs/{run_id}/jobs`, auth: "installation", handle: listJobs },
  { method: "GET", template: `${base}/jobs/{job_id}`, auth: "installation", handle: getJob },
];
