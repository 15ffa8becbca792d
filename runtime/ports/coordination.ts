/**
 * The coordination port: what hosts of one fleet agree on, so that every queued job gets
 * exactly one VM across all of them (docs/coordination.md).
 *
 * Implementations: `runtime/coordination/memory-coordination.ts` (one process: a single host, the
 * tests, an in-process lab) and `runtime/coordination/postgres-coordination.ts` (PostgreSQL, for
 * several hosts). Both pass `test/contract/coordination.contract.ts`.
 *
 * Times are epoch milliseconds. Leases are measured on the coordinator's clock (PostgreSQL's
 * `now()`), never on a host's, so hosts with skewed clocks still agree on who holds a job.
 */

/** A queued job as the fleet records it: keyed by GitHub's job id. */
export interface FleetJob {
  id: number;
  runId: number;
  /** `owner/name` */
  repository: string;
  /** The job's `runs-on` labels. Matching ignores case, as GitHub does. */
  labels: string[];
  /** When GitHub queued the job (its `created_at`). */
  queuedAt: number;
}

/**
 * A host's right to provision the one VM for a job, until `expiresAt` unless renewed. `token`
 * is the fencing token: it grows with every claim of the job, so a host holding an older token
 * knows another host has taken the job over.
 */
export interface Lease {
  jobId: number;
  host: string;
  token: number;
  expiresAt: number;
}

export interface ClaimedJob extends FleetJob {
  lease: Lease;
  /** When the job was first recorded by any host. */
  recordedAt: number;
}

/** Claim up to `count` jobs whose labels are all among `labels` (a pool's label set). */
export interface ClaimRequest {
  labels: readonly string[];
  count: number;
}

/** One pool on one host, as its heartbeat reports it. */
export interface HostPoolFacts {
  name: string;
  labels: string[];
  /** The pool's configured bounds (fleet-wide in coordinated mode). */
  min: number;
  max: number;
  /** This host's VMs of the pool by phase. */
  idle: number;
  busy: number;
  starting: number;
  /** How many more VMs of this pool fit in the host's free budget now. */
  freeSlots: number;
}

/** What a host writes with every heartbeat. */
export interface HostFacts {
  host: string;
  version: string;
  capacity: { vcpus: number; memoryMiB: number };
  free: { vcpus: number; memoryMiB: number };
  pools: HostPoolFacts[];
  draining: boolean;
}

export interface HostView extends HostFacts {
  /** When the coordinator last heard from the host. */
  seenAt: number;
  /** False once the host has been silent for longer than a lease. */
  online: boolean;
}

/** One finished VM on some host of the fleet: the fleet-wide history. */
export interface FleetHistoryEntry {
  host: string;
  /** The VM's name. */
  name: string;
  pool: string;
  jobId?: number;
  repository?: string;
  outcome: string;
  reason: string;
  detail: string;
  /** Instants of the VM's life (the controller's `VmTimes`). */
  times: Record<string, number | undefined>;
  /** When the VM's life ended (its teardown). */
  endedAt: number;
}

export interface HistoryQuery {
  /** Only entries that ended at or after this instant. */
  since?: number;
  host?: string;
  /** Newest entries first, at most this many (default 100). */
  limit?: number;
}

export interface Coordination {
  /** Records queued jobs (webhook or poll). Idempotent: a job already known is left as it is. */
  recordQueued(jobs: readonly FleetJob[]): Promise<void>;
  /** GitHub says these jobs started or ended: they can no longer be claimed. */
  markTaken(jobIds: readonly number[]): Promise<void>;
  /**
   * Claims queued jobs (and jobs whose lease expired) for `host`, oldest first. A job is claimed
   * by at most one host at a time; each claim gets a new, higher fencing token.
   */
  claim(host: string, requests: readonly ClaimRequest[]): Promise<ClaimedJob[]>;
  /** Extends the leases `host` still holds; returns those, and the job ids whose lease it lost. */
  renew(host: string, leases: readonly Pick<Lease, "jobId" | "token">[]): Promise<{ held: Lease[]; lost: number[] }>;
  /** True while `host` holds the job with this token and the lease has not expired (fencing). */
  checkLease(host: string, jobId: number, token: number): Promise<boolean>;
  /** Gives a claimed job back to the queue at once (its VM failed before taking a job). */
  release(host: string, jobId: number, token: number): Promise<void>;
  /** Appends a finished VM to the fleet history; with `lease`, its job is done and stays claimed by nobody. */
  complete(entry: FleetHistoryEntry, lease?: Pick<Lease, "jobId" | "token">): Promise<void>;
  heartbeat(facts: HostFacts): Promise<void>;
  hosts(): Promise<HostView[]>;
  history(query?: HistoryQuery): Promise<FleetHistoryEntry[]>;
  /** Closes connections. */
  close(): Promise<void>;
}

/** The coordinator cannot be reached or answered with an error: no claims until it is back. */
export class CoordinationUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CoordinationUnavailableError";
  }
}
