/** Workflow runs and jobs as GitHub renders them (REST `workflow-run`, `job`). */
import { githubTime } from "../github-time.ts";
import type { Account, Job, Repository, WorkflowRun } from "../state.ts";
import { repository } from "./repositories.ts";
import { nodeId, type Urls } from "./urls.ts";
import { simpleUser } from "./users.ts";

export interface RunParts {
  run: WorkflowRun;
  jobs: Job[];
  repo: Repository;
  repoOwner: Account;
  headRepo: Repository;
  headRepoOwner: Account;
  actor: Account;
  status: string;
  conclusion: string | null;
}

export function workflowId(run: WorkflowRun): number {
  // One workflow per name and repository; a stable number derived from the name.
  let hash = 7;
  for (const char of `${run.repository}/${run.workflowName}`) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000;
  return 100_000 + hash;
}

export function workflowPath(run: WorkflowRun): string {
  return `.github/workflows/${run.workflowName.toLowerCase().replace(/[^a-z0-9]+/g, "-")}.yml`;
}

export function workflowRun(p: RunParts, urls: Urls): Record<string, unknown> {
  const { run } = p;
  const api = `${urls.api}/repos/${p.repo.fullName}/actions/runs/${run.id}`;
  const started = p.jobs.map((j) => j.startedAt).filter((t): t is number => t !== null);
  const updated = Math.max(run.createdAt, ...p.jobs.map((j) => j.completedAt ?? j.startedAt ?? j.createdAt));
  const sameRepoPr = run.event.pullRequest && p.headRepo.id === p.repo.id;
  return {
    id: run.id,
    name: run.workflowName,
    node_id: nodeId("WorkflowRun", run.id),
    check_suite_id: run.id + 1,
    check_suite_node_id: nodeId("CheckSuite", run.id + 1),
    head_branch: run.event.headBranch,
    head_sha: run.headSha,
    path: `${workflowPath(run)}@${p.repo.defaultBranch}`,
    run_number: run.runNumber,
    run_attempt: 1,
    event: run.event.name,
    display_title: run.event.pullRequest ? `PR #${run.event.pullRequest.number}` : run.workflowName,
    status: p.status,
    conclusion: p.conclusion,
    workflow_id: workflowId(run),
    url: api,
    html_url: `${urls.html}/${p.repo.fullName}/actions/runs/${run.id}`,
    // GitHub lists only pull requests whose head is in the same repository.
    pull_requests: sameRepoPr
      ? [
          {
            id: run.event.pullRequest!.number + 500_000,
            number: run.event.pullRequest!.number,
            url: `${urls.api}/repos/${p.repo.fullName}/pulls/${run.event.pullRequest!.number}`,
            head: { ref: run.event.headBranch, sha: run.headSha, repo: { id: p.repo.id, url: `${urls.api}/repos/${p.repo.fullName}`, name: p.repo.name } },
            base: {
              ref: p.repo.defaultBranch,
              sha: "0".repeat(40),
              repo: { id: p.repo.id, url: `${urls.api}/repos/${p.repo.fullName}`, name: p.repo.name },
            },
          },
        ]
      : [],
    created_at: githubTime(run.createdAt),
    updated_at: githubTime(updated),
    run_started_at: githubTime(started.length > 0 ? Math.min(...started) : run.createdAt),
    actor: simpleUser(p.actor, urls),
    triggering_actor: simpleUser(p.actor, urls),
    jobs_url: `${api}/jobs`,
    logs_url: `${api}/logs`,
    check_suite_url: `${urls.api}/repos/${p.repo.fullName}/check-suites/${run.id + 1}`,
    artifacts_url: `${api}/artifacts`,
    cancel_url: `${api}/cancel`,
    rerun_url: `${api}/rerun`,
    previous_attempt_url: null,
    workflow_url: `${urls.api}/repos/${p.repo.fullName}/actions/workflows/${workflowId(run)}`,
    head_commit: {
      id: run.headSha,
      tree_id: run.headSha.split("").reverse().join(""),
      message: run.workflowName,
      timestamp: githubTime(run.createdAt),
      // GitHub's noreply address; a bot's login loses its brackets, which no email address may have.
      author: { name: p.actor.login, email: `${p.actor.id}+${p.actor.login.replace(/\[bot\]$/, "")}@users.noreply.github.com` },
      committer: { name: "GitHub", email: "noreply@github.com" },
    },
    repository: repository(p.repo, p.repoOwner, urls),
    head_repository: repository(p.headRepo, p.headRepoOwner, urls),
    head_repository_id: p.headRepo.id,
  };
}

export function jobSteps(job: Job): Record<string, unknown>[] {
  return job.stepResults.map((s) => ({
    name: s.name,
    status: s.status,
    conclusion: s.conclusion,
    number: s.number,
    started_at: s.startedAt === null ? null : githubTime(s.startedAt),
    completed_at: s.completedAt === null ? null : githubTime(s.completedAt),
  }));
}

export function job(j: Job, run: WorkflowRun, repo: Repository, urls: Urls): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    id: j.id,
    run_id: j.runId,
    workflow_name: run.workflowName,
    head_branch: run.event.headBranch,
    run_url: `${api}/actions/runs/${j.runId}`,
    run_attempt: 1,
    node_id: nodeId("CheckRun", j.id),
    head_sha: run.headSha,
    url: `${api}/actions/jobs/${j.id}`,
    html_url: `${urls.html}/${repo.fullName}/actions/runs/${j.runId}/job/${j.id}`,
    status: j.status,
    conclusion: j.conclusion,
    created_at: githubTime(j.createdAt),
    // GitHub reports a queued job's started_at as its creation time.
    started_at: githubTime(j.startedAt ?? j.createdAt),
    completed_at: j.completedAt === null ? null : githubTime(j.completedAt),
    name: j.name,
    steps: jobSteps(j),
    check_run_url: `${api}/check-runs/${j.id}`,
    labels: j.labels,
    runner_id: j.runnerId,
    runner_name: j.runnerName,
    runner_group_id: j.runnerGroupId,
    runner_group_name: j.runnerGroupName,
  };
}
