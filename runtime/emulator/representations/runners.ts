/** Self-hosted runners and runner groups as GitHub renders them. */
import type { Runner, RunnerGroup } from "../state.ts";
import type { Urls } from "./urls.ts";

export function runner(r: Runner, status: "online" | "offline"): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    os: r.os,
    status,
    busy: r.jobId !== null,
    ephemeral: r.ephemeral,
    runner_group_id: r.groupId,
    labels: r.labels.map((l) => ({ id: l.id, name: l.name, type: l.type })),
  };
}

export function runnerGroup(group: RunnerGroup, urls: Urls): Record<string, unknown> {
  const api = `${urls.api}/orgs/${group.org}/actions/runner-groups/${group.id}`;
  return {
    id: group.id,
    name: group.name,
    visibility: group.visibility,
    default: group.isDefault,
    ...(group.visibility === "selected" ? { selected_repositories_url: `${api}/repositories` } : {}),
    runners_url: `${api}/runners`,
    hosted_runners_url: `${api}/hosted-runners`,
    inherited: false,
    allows_public_repositories: group.allowsPublicRepositories,
    restricted_to_workflows: group.restrictedToWorkflows,
    selected_workflows: group.selectedWorkflows,
    workflow_restrictions_read_only: false,
  };
}
