/** A pull request as GitHub renders it (`pull-request`), enough for the trust check. */
import { githubTime } from "../github-time.ts";
import type { Account, PullRequest, Repository } from "../state.ts";
import { repository } from "./repositories.ts";
import { nodeId, type Urls } from "./urls.ts";
import { simpleUser } from "./users.ts";

export interface PullParts {
  pr: PullRequest;
  repo: Repository;
  repoOwner: Account;
  headRepo: Repository;
  headRepoOwner: Account;
  author: Account;
}

export function pullRequest(p: PullParts, urls: Urls): Record<string, unknown> {
  const { pr } = p;
  const api = `${urls.api}/repos/${p.repo.fullName}`;
  const html = `${urls.html}/${p.repo.fullName}/pull/${pr.number}`;
  const time = githubTime(pr.createdAt);
  const baseSha = "0".repeat(40);
  return {
    url: `${api}/pulls/${pr.number}`,
    id: pr.number + 500_000,
    node_id: nodeId("PullRequest", pr.number + 500_000),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${pr.number}`,
    commits_url: `${api}/pulls/${pr.number}/commits`,
    review_comments_url: `${api}/pulls/${pr.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pr.number}/comments`,
    statuses_url: `${api}/statuses/${pr.headSha}`,
    number: pr.number,
    state: "open",
    locked: false,
    title: `Pull request #${pr.number}`,
    user: simpleUser(p.author, urls),
    body: null,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: time,
    updated_at: time,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: {
      label: `${p.headRepo.owner}:${pr.headBranch}`,
      ref: pr.headBranch,
      sha: pr.headSha,
      user: simpleUser(p.headRepoOwner, urls),
      repo: repository(p.headRepo, p.headRepoOwner, urls),
    },
    base: {
      label: `${p.repo.owner}:${p.repo.defaultBranch}`,
      ref: p.repo.defaultBranch,
      sha: baseSha,
      user: simpleUser(p.repoOwner, urls),
      repo: repository(p.repo, p.repoOwner, urls),
    },
    _links: {
      self: { href: `${api}/pulls/${pr.number}` },
      html: { href: html },
      issue: { href: `${api}/issues/${pr.number}` },
      comments: { href: `${api}/issues/${pr.number}/comments` },
      review_comments: { href: `${api}/pulls/${pr.number}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${api}/pulls/${pr.number}/commits` },
      statuses: { href: `${api}/statuses/${pr.headSha}` },
    },
    author_association: pr.authorAssociation,
    auto_merge: null,
    draft: false,
    merged: false,
    mergeable: true,
    rebaseable: true,
    mergeable_state: "clean",
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 1,
    deletions: 0,
    changed_files: 1,
  };
}
