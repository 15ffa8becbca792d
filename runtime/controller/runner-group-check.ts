/**
 * At start, the controller looks at the runner group its JIT runners will join. A group that
 * does not exist makes every JIT request fail; one that admits public repositories lets
 * anyone's pull request reach this host. Both become health problems an operator sees at once
 * (`/healthz`, `fleet health`), instead of a stream of failed provisions or a silent exposure.
 */
import type { GitHubScope, RunnerGroupInfo } from "../ports/github.ts";

export interface RunnerGroupVerdict {
  problem?: string;
  warning?: string;
}

export function judgeRunnerGroup(id: number, group: RunnerGroupInfo | undefined, scope: GitHubScope): RunnerGroupVerdict {
  const where = scope.kind === "org" ? `organization ${scope.org}` : `repository ${scope.owner}/${scope.repo}`;
  if (!group) return { problem: `runner group ${id} does not exist in ${where}: every JIT config request will fail` };
  if (group.allowsPublicRepositories) {
    return { problem: `runner group ${id} (${group.name}) allows public repositories: anyone's pull request could run on this host` };
  }
  if (group.visibility === "all") {
    return { warning: `runner group ${id} (${group.name}) is visible to every repository in ${where}; prefer selected repositories` };
  }
  return {};
}
