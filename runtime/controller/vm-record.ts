/**
 * A runner VM's journal entry. It is written *before* each step that creates something outside
 * the controller (a runner registration, an overlay, a domain), so a controller killed at any
 * moment finds, on restart, a record of everything it may have left behind.
 */

export type VmPhase =
  /** JIT config, overlay, domain definition and start are under way. */
  | "provisioning"
  /** Started; the runner has not said it is listening yet. */
  | "booting"
  /** Runner online, waiting for a job (a warm VM). */
  | "idle"
  /** On-claim pools: booted without a registration, waiting on the job channel (a warm VM). */
  | "waiting"
  /** On-claim pools: given a queued job; its JIT config is being requested or handed over. */
  | "claimed"
  /** Running a job. */
  | "busy"
  /** The guest powered off; waiting for teardown. */
  | "finished"
  /** Teardown under way (the reason is recorded). */
  | "tearing-down";

/** Instants (epoch ms) at which each step of the VM's life was observed. */
export interface VmTimes {
  /**
   * When the controller learned of the need this VM fills: the webhook's arrival or the poll
   * that listed the queued job it serves, or the moment a VM of its pool was seen taking a job
   * (a warm VM's replacement). Absent in records written before it was kept.
   */
  noticed?: number;
  requested: number;
  jit?: number;
  /** On-claim: the pass that gave the VM its job. */
  claimed?: number;
  /** On-claim: the guest acked its JIT config on the job channel. */
  handedOut?: number;
  overlay?: number;
  defined?: number;
  started?: number;
  online?: number;
  assigned?: number;
  /** The job completed (or the guest went down without one). */
  finished?: number;
  /** The guest powered off (its domain was seen shut off). */
  poweredOff?: number;
  /** The teardown removed the domain: nothing runs in the VM any more. */
  domainGone?: number;
  tornDown?: number;
}

export interface JobRef {
  id?: number;
  runId?: number;
  repository?: string;
  name?: string;
  /** Epoch ms the job was queued on GitHub (its created_at). */
  queuedAt?: number;
  conclusion?: string;
  /** The run's head commit, recorded when the job is refused (its commit status goes there). */
  headSha?: string;
}

/** A queued job given to a waiting VM: what its JIT config is requested for. */
export interface ClaimedJob {
  id: number;
  runId: number;
  repository: string;
  /** The job's own labels: the JIT config is requested for exactly these. */
  labels: string[];
}

/** Why a VM was torn down. The first group are failures; the rest are normal ends. */
export type TeardownReason =
  | "jit_error"
  | "overlay_error"
  | "define_error"
  | "start_error"
  | "boot_failed"
  | "boot_timeout"
  | "job_timeout"
  | "stuck_after_job"
  | "libvirt_error"
  | "interrupted"
  | "untrusted"
  | "orphan"
  | "completed"
  | "scale_down"
  | "drain"
  | "shutdown"
  /** Coordinated fleets: this host lost its claim on the job the VM was started for (docs/coordination.md). */
  | "lease_lost";

/**
 * Failures of booting or registering a runner: everything that ends a VM before its runner is
 * online. The guard's "consecutive boot failures" trigger counts exactly these.
 */
export const bootFailureReasons: ReadonlySet<TeardownReason> = new Set<TeardownReason>([
  "jit_error",
  "overlay_error",
  "define_error",
  "start_error",
  "boot_failed",
  "boot_timeout",
  "libvirt_error",
]);

/** Every end that counts as a failure (retry backoff, metrics): boot failures and these. */
export const failureReasons: ReadonlySet<TeardownReason> = new Set<TeardownReason>([
  ...bootFailureReasons,
  "job_timeout",
  "stuck_after_job",
  // The controller restarted mid-provision: not the VM's fault, but the VM was lost. Counted,
  // but skipped by the retry backoff (retry-policy.ts).
  "interrupted",
]);

/** One dependency cache as a VM got it (runtime/caches), and what became of its writable copy. */
export interface CacheUse {
  /** The generation the VM got read-only, and its writable copy is based on. */
  generation: number;
  /** Settled after the VM was gone: the id it was promoted to, or why it was discarded. */
  published?: number;
  discarded?: string;
}

export interface VmRecord {
  name: string;
  pool: string;
  runnerId?: number;
  /** The static IPv4 address given to the guest (address-allocator.ts); absent when it asks DHCP. */
  address?: string;
  /** How the VM started: `restore` from its pool's snapshot; absent when it booted. */
  startedBy?: "restore";
  phase: VmPhase;
  times: VmTimes;
  job?: JobRef;
  /** Coordinated fleets: the claimed job this VM was started for, and the claim's fencing token. */
  claim?: { jobId: number; token: number };
  /** Set for VMs of on-claim pools: they boot without a registration. */
  onClaim?: true;
  /** The queued job an on-claim VM was given (at most one, ever). */
  claimedJob?: ClaimedJob;
  caches?: Record<string, CacheUse>;
  teardown?: {
    reason: TeardownReason;
    detail: string;
    at: number;
    /** A refused job's run was cancelled and its status set; only the registration is left to remove. */
    runEnded?: boolean;
  };
  /** Pinned host cores this VM holds exclusively, and their NUMA node (`vm-shape.ts`). */
  placement?: { cores: number[]; numaNode?: number };
}

/** How a VM's life ended, as counted in metrics and history. */
export type Outcome =
  /** The job ran and succeeded / failed / was cancelled (the job's own conclusion). */
  | "success"
  | "failure"
  | "cancelled"
  /** The guest ran a job to the end, but its conclusion was never reported to us. */
  | "completed"
  /** The job came from an untrusted context and was refused. */
  | "refused"
  /** The VM failed (see the teardown reason); any job it held is lost to GitHub's retry. */
  | "lost"
  /** The VM never took a job (scale-down, drain, shutdown). */
  | "unused";

/** One finished VM, appended to the history journal. */
export interface HistoryEntry {
  name: string;
  pool: string;
  outcome: Outcome;
  reason: TeardownReason;
  detail: string;
  job?: JobRef;
  times: VmTimes;
  caches?: Record<string, CacheUse>;
}
