/**
 * Reading and writing a repository's routing state on GitHub: the routing variable (value and
 * GitHub's `updated_at`) and the change record beside it. The port's `getVariable` has no
 * `updated_at`, so reads go through the Octokit client; writes use the port.
 */
import type { FleetOctokit } from "../github/octokit-github.ts";
import { toGitHubError } from "../github/octokit-github.ts";
import type { GitHub } from "../ports/github.ts";
import { routingVariableName } from "../routing/decide.ts";
import type { RoutingState } from "./evaluate.ts";
import { formatRoutingChange, isRoutingChange, parseRoutingChange, routingChangeVariableName, type RoutingChange } from "./routing-change.ts";

export interface RepositoryRouting extends RoutingState {
  /** Set when the change record exists but cannot be read (then treated as absent). */
  invalidRecord?: string;
}

function split(repository: string): { owner: string; repo: string } {
  const [owner = "", repo = ""] = repository.split("/");
  return { owner, repo };
}

async function readVariable(octokit: FleetOctokit, repository: string, name: string): Promise<{ value: string; updatedAt: number } | undefined> {
  try {
    const { data } = await octokit.rest.actions.getRepoVariable({ ...split(repository), name });
    return { value: data.value, updatedAt: Date.parse(data.updated_at) };
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    throw toGitHubError(error, `get variable ${name} of ${repository}`);
  }
}

export async function readRoutingState(octokit: FleetOctokit, repository: string): Promise<RepositoryRouting> {
  const [variable, record] = await Promise.all([
    readVariable(octokit, repository, routingVariableName),
    readVariable(octokit, repository, routingChangeVariableName),
  ]);
  const parsed = parseRoutingChange(record?.value);
  const state: RepositoryRouting = {
    value: variable?.value,
    updatedAt: variable && Number.isFinite(variable.updatedAt) ? variable.updatedAt : undefined,
    change: isRoutingChange(parsed) ? parsed : undefined,
  };
  if (parsed !== undefined && !isRoutingChange(parsed)) state.invalidRecord = parsed.invalid;
  return state;
}

/**
 * Sets the routing variable, then records why. Routing first: if the record cannot be written,
 * the change that matters (usually the rollback) has still happened.
 */
export async function writeRoutingChange(github: Pick<GitHub, "setVariable">, repository: string, change: RoutingChange): Promise<void> {
  await github.setVariable(repository, routingVariableName, change.value);
  await github.setVariable(repository, routingChangeVariableName, formatRoutingChange(change));
}
