/** Commit statuses as GitHub renders them (REST `status`). */
import { githubTime } from "../github-time.ts";
import type { Account, CommitStatus, Repository } from "../state.ts";
import { nodeId, type Urls } from "./urls.ts";
import { simpleUser } from "./users.ts";

export function commitStatus(status: CommitStatus, sha: string, repo: Repository, creator: Account | undefined, urls: Urls): Record<string, unknown> {
  return {
    url: `${urls.api}/repos/${repo.fullName}/statuses/${sha}`,
    avatar_url: creator ? `${urls.html}/avatars/u/${creator.id}` : null,
    id: status.id,
    node_id: nodeId("StatusContext", status.id),
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: githubTime(status.createdAt),
    updated_at: githubTime(status.createdAt),
    creator: creator ? simpleUser(creator, urls) : null,
  };
}
