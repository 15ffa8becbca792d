/**
 * Coordination inside one process: the single-host default, the tests, and an in-process lab
 * where several controllers share one instance. The same rules as PostgreSQL
 * (`postgres-coordination.ts`), checked by the same contract suite; leases run on `clock`.
 */
import type { Clock } from "../ports/clock.ts";
import type {
  ClaimedJob,
  ClaimRequest,
  Coordination,
  FleetHistoryEntry,
  FleetJob,
  HistoryQuery,
  HostFacts,
  HostView,
  Lease,
} from "../ports/coordination.ts";
import { labelsSatisfy } from "../protocol/labels.ts";

type JobState = "queued" | "claimed" | "taken" | "done";

interface JobRow extends FleetJob {
  state: JobState;
  recordedAt: number;
  host?: string;
  token: number;
  expiresAt?: number;
}

export class MemoryCoordination implements Coordination {
  private readonly jobs = new Map<number, JobRow>();
  private readonly hostRows = new Map<string, { facts: HostFacts; seenAt: number }>();
  private readonly entries: FleetHistoryEntry[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly leaseMs = 30_000,
  ) {}

  async recordQueued(jobs: readonly FleetJob[]): Promise<void> {
    const now = this.clock.now();
    for (const job of jobs) {
      if (this.jobs.has(job.id)) continue;
      this.jobs.set(job.id, { ...job, labels: job.labels.map((l) => l.toLowerCase()), state: "queued", recordedAt: now, token: 0 });
    }
  }

  async markTaken(jobIds: readonly number[]): Promise<void> {
    const now = this.clock.now();
    for (const id of jobIds) {
      const row = this.jobs.get(id);
      // A job heard of only once it started: remembered, so a late `queued` webhook cannot make it claimable.
      if (!row) this.jobs.set(id, { id, runId: 0, repository: "", labels: [], queuedAt: now, recordedAt: now, state: "taken", token: 0 });
      else if (row.state === "queued" || row.state === "claimed") row.state = "taken";
    }
  }

  async claim(host: string, requests: readonly ClaimRequest[]): Promise<ClaimedJob[]> {
    const now = this.clock.now();
    const claimed: ClaimedJob[] = [];
    for (const request of requests) {
      if (request.count <= 0) continue;
      const open = [...this.jobs.values()]
        .filter((row) => claimable(row, now) && labelsSatisfy(request.labels, row.labels))
        .sort((a, b) => a.queuedAt - b.queuedAt || a.id - b.id)
        .slice(0, request.count);
      for (const row of open) {
        Object.assign(row, { state: "claimed", host, token: row.token + 1, expiresAt: now + this.leaseMs });
        claimed.push({ ...jobOf(row), recordedAt: row.recordedAt, lease: leaseOf(row) });
      }
    }
    return claimed;
  }

  async renew(host: string, leases: readonly Pick<Lease, "jobId" | "token">[]): Promise<{ held: Lease[]; lost: number[] }> {
    const now = this.clock.now();
    const held: Lease[] = [];
    const lost: number[] = [];
    for (const { jobId, token } of leases) {
      const row = this.jobs.get(jobId);
      if (row && holds(row, host, token) && (row.state === "claimed" || row.state === "taken")) {
        row.expiresAt = now + this.leaseMs;
        held.push(leaseOf(row));
      } else {
        lost.push(jobId);
      }
    }
    return { held, lost };
  }

  async checkLease(host: string, jobId: number, token: number): Promise<boolean> {
    const row = this.jobs.get(jobId);
    return row !== undefined && holds(row, host, token) && row.state === "claimed" && row.expiresAt! > this.clock.now();
  }

  async release(host: string, jobId: number, token: number): Promise<void> {
    const row = this.jobs.get(jobId);
    if (!row || !holds(row, host, token) || row.state !== "claimed") return;
    row.state = "queued";
    delete row.host;
    delete row.expiresAt;
  }

  async complete(entry: FleetHistoryEntry, lease?: Pick<Lease, "jobId" | "token">): Promise<void> {
    if (!this.entries.some((e) => e.host === entry.host && e.name === entry.name)) this.entries.push(structuredClone(entry));
    const row = lease && this.jobs.get(lease.jobId);
    if (row && holds(row, entry.host, lease.token)) row.state = "done";
  }

  async heartbeat(facts: HostFacts): Promise<void> {
    this.hostRows.set(facts.host, { facts: structuredClone(facts), seenAt: this.clock.now() });
  }

  async hosts(): Promise<HostView[]> {
    const now = this.clock.now();
    return [...this.hostRows.values()]
      .map(({ facts, seenAt }) => ({ ...structuredClone(facts), seenAt, online: now - seenAt <= this.leaseMs }))
      .sort((a, b) => a.host.localeCompare(b.host));
  }

  async history(query: HistoryQuery = {}): Promise<FleetHistoryEntry[]> {
    return this.entries
      .filter((e) => (query.since === undefined || e.endedAt >= query.since) && (query.host === undefined || e.host === query.host))
      .sort((a, b) => b.endedAt - a.endedAt)
      .slice(0, query.limit ?? 100)
      .map((e) => structuredClone(e));
  }

  async close(): Promise<void> {}
}

function claimable(row: JobRow, now: number): boolean {
  return row.state === "queued" || (row.state === "claimed" && row.expiresAt! < now);
}

function holds(row: JobRow, host: string, token: number): boolean {
  return row.host === host && row.token === token;
}

function jobOf(row: JobRow): FleetJob {
  return { id: row.id, runId: row.runId, repository: row.repository, labels: [...row.labels], queuedAt: row.queuedAt };
}

function leaseOf(row: JobRow): Lease {
  return { jobId: row.id, host: row.host!, token: row.token, expiresAt: row.expiresAt! };
}
