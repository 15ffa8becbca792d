/**
 * The fleet's recent finished VMs as `fleet status`, `fleet canary` and the guard judge them. Pure.
 *
 * In a coordinated fleet every controller's status carries the coordinator's fleet-wide history
 * (`fleet.history`), so one status is enough to see jobs other hosts served. Several statuses
 * report the same VMs: each (host, VM) counts once, and a host's own entry wins over the
 * coordinator's copy because it keeps the whole job reference (run, queue time). Without
 * coordination this is just every read controller's own recent history.
 */
import { jobStatus, type JobStatus, type StatusDocument } from "./status-report.ts";
import type { HistoryEntry, Outcome, TeardownReason } from "./vm-record.ts";
import type { FleetHistoryEntry } from "../ports/coordination.ts";

export interface FleetJobEnd extends JobStatus {
  host: string;
}

/** Every distinct finished VM the statuses report, oldest end first (as `recentJobs`). */
export function fleetJobEnds(statuses: readonly StatusDocument[]): FleetJobEnd[] {
  const ends = new Map<string, FleetJobEnd>();
  for (const status of statuses) for (const entry of status.recentJobs) ends.set(endKey(status.host, entry.name), { ...entry, host: status.host });
  for (const status of statuses) {
    for (const entry of status.fleet?.history ?? []) {
      const key = endKey(entry.host, entry.name);
      if (!ends.has(key)) ends.set(key, fromFleet(entry));
    }
  }
  return [...ends.values()].sort((a, b) => endedAt(a) - endedAt(b) || a.host.localeCompare(b.host) || a.name.localeCompare(b.name));
}

/** One finished VM's identity fleet-wide: VM names are unique per host only. */
export function endKey(host: string, name: string): string {
  return `${host}\u0000${name}`;
}

function endedAt(end: FleetJobEnd): number {
  return end.times.tornDown ?? end.times.requested;
}

function fromFleet(entry: FleetHistoryEntry): FleetJobEnd {
  const history: HistoryEntry = {
    name: entry.name,
    pool: entry.pool,
    // The coordinator stores what controllers wrote from these same types.
    outcome: entry.outcome as Outcome,
    reason: entry.reason as TeardownReason,
    detail: entry.detail,
    times: { requested: entry.endedAt, tornDown: entry.endedAt, ...entry.times },
  };
  if (entry.jobId !== undefined) history.job = { id: entry.jobId, ...(entry.repository !== undefined ? { repository: entry.repository } : {}) };
  return { ...jobStatus(history), host: entry.host };
}
