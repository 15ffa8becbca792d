/**
 * The controller's last line of defence for routing: when one of its VMs takes a job, look up
 * the job's workflow run (one API call per run, cached) and refuse the job if the run comes from
 * a context that may not use self-hosted runners (fork, bot, untrusted event).
 */
import type { GitHub, RunContext } from "../ports/github.ts";
import { assessRunTrust } from "../routing/run-trust.ts";
import type { RoutingPolicy } from "../routing/policy.ts";
import type { VmRecord } from "./vm-record.ts";

export function createTrustCheck(github: GitHub, policy?: RoutingPolicy): (record: VmRecord) => Promise<string | undefined> {
  const runs = new Map<string, Promise<RunContext>>();
  return async (record) => {
    const { repository, runId } = record.job ?? {};
    if (repository === undefined || runId === undefined) return undefined;
    const key = `${repository}#${runId}`;
    let run = runs.get(key);
    if (!run) {
      run = github.getRunContext(repository, runId);
      runs.set(key, run);
      // A failed lookup is retried next time rather than cached.
      run.catch(() => runs.delete(key));
      if (runs.size > 1000) runs.delete(runs.keys().next().value!);
    }
    const verdict = assessRunTrust(undefined, await run, policy);
    return verdict.verdict === "untrusted" ? verdict.reason.code : undefined;
  };
}
