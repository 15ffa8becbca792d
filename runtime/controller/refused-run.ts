/**
 * Ending a refused job so that its author sees it end, and why. GitHub has no job-level cancel
 * and no field for a cancel reason, so the controller:
 *
 * - force-cancels the job's workflow run: its jobs end `cancelled` at once, without waiting for
 *   the runner (whose VM is being destroyed) and without running the run's `if: always()` jobs,
 *   which would otherwise come back to the fleet;
 * - sets a commit status `runner-fleet/trust` (state `failure`) on the run's head commit, which
 *   the pull request lists beside its checks, with the reason in its description.
 *
 * Both calls are idempotent (a completed run answers 409, taken as done; a status with the same
 * context replaces the previous one on the pull request), so a resumed teardown repeats them.
 */
import type { CommitStatusInput, GitHub } from "../ports/github.ts";

export const trustStatusContext = "runner-fleet/trust";

/** GitHub's limit for a status description. */
const descriptionLimit = 140;

/** The status a refused run's head commit gets. `detail` is `<reason code>: <message>`. */
export function refusalStatus(detail: string): CommitStatusInput {
  const text = `Refused on self-hosted runners: ${detail}`;
  const description = text.length <= descriptionLimit ? text : `${text.slice(0, descriptionLimit - 1)}…`;
  return { state: "failure", context: trustStatusContext, description };
}

export interface RefusedRun {
  repository: string;
  runId: number;
  /** Known when the trust check looked the run up; otherwise looked up here. */
  headSha?: string;
}

export async function endRefusedRun(github: GitHub, run: RefusedRun, detail: string): Promise<void> {
  await github.forceCancelRun(run.repository, run.runId);
  const sha = run.headSha ?? (await github.getRunContext(run.repository, run.runId)).headSha;
  await github.setCommitStatus(run.repository, sha, refusalStatus(detail));
}
