/** How a VM's life ended, for metrics and history. */
import type { Outcome, TeardownReason, VmRecord } from "./vm-record.ts";
import { failureReasons } from "./vm-record.ts";

export function outcomeOf(record: VmRecord, reason: TeardownReason): Outcome {
  if (reason === "untrusted") return "refused";
  if (failureReasons.has(reason)) return "lost";
  const hadJob = record.job !== undefined || record.times.assigned !== undefined;
  if (reason === "completed") {
    const conclusion = record.job?.conclusion;
    if (conclusion === "success" || conclusion === "failure" || conclusion === "cancelled") return conclusion;
    // The guest finished a job but nobody told us how it went (no webhook, no console line).
    return "completed";
  }
  // Drain after the grace period, shutdown or an orphan holding a job: the job is lost.
  return hadJob ? "lost" : "unused";
}
