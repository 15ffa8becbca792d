/**
 * The controller's last line of defence for routing: when one of its VMs takes a job, look up
 * the job's workflow run (one API call per run, cached) and refuse the job if the run comes from
 * a context that may not use self-hosted runners (fork, bot, untrusted event).
 *
 * Lookups run in the background; a verdict reaches the loop as a refusal to act on in its next
 * pass, so a slow GitHub never holds a pass up.
 */
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { GitHub, RunContext } from "../ports/github.ts";
import { assessRunTrust } from "../routing/run-trust.ts";
import type { RoutingPolicy } from "../routing/policy.ts";
import type { VmRecord } from "./vm-record.ts";

export type RefuseJob = (record: VmRecord) => Promise<string | undefined>;

/** Why a VM's job must be refused (a reason code), or undefined when it may run. */
export function createTrustCheck(github: GitHub, policy?: RoutingPolicy): RefuseJob {
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

export interface Refusal {
  name: string;
  reason: string;
}

export class TrustGate {
  private readonly checked = new Set<string>();
  private readonly refusals = new Map<string, string>();

  constructor(
    private readonly refuseJob: RefuseJob | undefined,
    private readonly deps: { metrics: Metrics; logger: Logger; onVerdict: () => void },
  ) {}

  /**
   * Starts a check for each VM with a job that has not been checked yet. Never waits. A job so
   * short that its VM was first seen finished is checked too: too late to stop, but it is
   * counted and logged (and the guard sees the run as a route mismatch).
   */
  check(records: readonly VmRecord[]): void {
    if (!this.refuseJob) return;
    for (const record of records) {
      if ((record.phase !== "busy" && record.phase !== "finished") || record.job?.runId === undefined) continue;
      const key = `${record.name}:${record.job.runId}`;
      if (this.checked.has(key)) continue;
      this.checked.add(key);
      this.refuseJob(record).then(
        (reason) => {
          if (reason === undefined) return;
          this.deps.metrics.untrustedRefused.inc({ reason });
          this.deps.logger.warn({ event: "job_refused", runner: record.name, jobId: record.job?.id, reason }, "untrusted job on a self-hosted runner; tearing it down");
          this.refusals.set(record.name, reason);
          this.deps.onVerdict();
        },
        // The lookup failed (GitHub unreachable): check again when the VM is next seen busy.
        () => this.checked.delete(key),
      );
    }
  }

  /** Refusals not yet acted on, handed out once. */
  takeRefusals(): Refusal[] {
    const out = [...this.refusals].map(([name, reason]) => ({ name, reason }));
    this.refusals.clear();
    return out;
  }
}
