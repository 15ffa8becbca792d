/**
 * Every Prometheus metric the controller exports, in one place: the controller registers them
 * from this list and the stack's Grafana dashboard (components/dashboard.ts) is built from it,
 * so a renamed metric cannot silently leave a dashboard panel empty.
 */

export type MetricKind = "counter" | "gauge" | "histogram";

export interface MetricSpec {
  name: string;
  kind: MetricKind;
  help: string;
  labels: readonly string[];
  /** Histogram buckets in seconds. */
  buckets?: readonly number[];
}

const phaseBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];

export const metricCatalog = {
  jobs: {
    name: "runner_fleet_jobs_total",
    kind: "counter",
    help: "Jobs that ended on this host, by pool and outcome (success, failure, cancelled, refused, lost).",
    labels: ["pool", "outcome"],
  },
  vmFailures: {
    name: "runner_fleet_vm_failures_total",
    kind: "counter",
    help: "Runner VMs torn down because something went wrong, by pool and reason.",
    labels: ["pool", "reason"],
  },
  phaseSeconds: {
    name: "runner_fleet_phase_seconds",
    kind: "histogram",
    help: "Duration of each phase of a runner VM's life (jit, overlay, define, start, boot, idle, run, poweroff, teardown).",
    labels: ["pool", "phase"],
    buckets: phaseBuckets,
  },
  queueWaitSeconds: {
    name: "runner_fleet_queue_wait_seconds",
    kind: "histogram",
    help: "Time from a job being queued to a runner of this host starting it.",
    labels: ["pool"],
    buckets: phaseBuckets,
  },
  poolVms: {
    name: "runner_fleet_pool_vms",
    kind: "gauge",
    help: "Runner VMs per pool and state (provisioning, booting, idle, busy, tearing_down).",
    labels: ["pool", "state"],
  },
  poolBounds: {
    name: "runner_fleet_pool_bounds",
    kind: "gauge",
    help: "Pool bounds (bound: min, max), the warm target in force (bound: target; computed from demand for adaptive pools) and the current desired count (bound: desired).",
    labels: ["pool", "bound"],
  },
  queuedJobs: {
    name: "runner_fleet_queued_jobs",
    kind: "gauge",
    help: "Queued jobs this host's pools can serve, by pool.",
    labels: ["pool"],
  },
  hostCapacity: {
    name: "runner_fleet_host_capacity",
    kind: "gauge",
    help: "Host budget and use (resource: vcpus, memory_mib; kind: budget, used).",
    labels: ["resource", "kind"],
  },
  githubApiCalls: {
    name: "runner_fleet_github_api_calls_total",
    kind: "counter",
    help: "GitHub API requests, by route template and response status.",
    labels: ["route", "status"],
  },
  githubRateLimitRemaining: {
    name: "runner_fleet_github_rate_limit_remaining",
    kind: "gauge",
    help: "Remaining GitHub API requests in the current rate-limit window.",
    labels: [],
  },
  webhookDeliveries: {
    name: "runner_fleet_webhook_deliveries_total",
    kind: "counter",
    help: "Webhook deliveries by result (accepted, duplicate, ignored, bad_signature, malformed, too_large).",
    labels: ["result"],
  },
  untrustedRefused: {
    name: "runner_fleet_untrusted_jobs_refused_total",
    kind: "counter",
    help: "Jobs refused because they came from an untrusted context (fork, bot, or not a pull request).",
    labels: ["reason"],
  },
  cacheJobs: {
    name: "runner_fleet_cache_jobs_total",
    kind: "counter",
    help: "Jobs that ran with a dependency cache, by pool, cache and result (hit: the VM got a generation a job had published; miss: the empty one).",
    labels: ["pool", "cache", "result"],
  },
  cacheCopies: {
    name: "runner_fleet_cache_copies_total",
    kind: "counter",
    help: "What became of jobs' writable cache copies, by pool, cache and result (promoted, read-only, job-not-successful, no-job, over-cap).",
    labels: ["pool", "cache", "result"],
  },
  cacheBytes: {
    name: "runner_fleet_cache_bytes",
    kind: "gauge",
    help: "Bytes a dependency cache takes on the host (kind: current, the generation new VMs get; all, every generation kept).",
    labels: ["pool", "cache", "kind"],
  },
  reconcileSeconds: {
    name: "runner_fleet_reconcile_seconds",
    kind: "histogram",
    help: "Duration of one reconcile pass (observe, plan, act).",
    labels: [],
    buckets: phaseBuckets,
  },
  reconcileErrors: {
    name: "runner_fleet_reconcile_errors_total",
    kind: "counter",
    help: "Reconcile passes or actions that failed, by stage.",
    labels: ["stage"],
  },
  draining: {
    name: "runner_fleet_draining",
    kind: "gauge",
    help: "1 while the host is draining (takes no new jobs).",
    labels: [],
  },
  leftovers: {
    name: "runner_fleet_leftovers",
    kind: "gauge",
    help: "Things of this host's with no VM record in the last pass (kind: domain, overlay, secret, runner); the orphan sweep removes them, so one that stays is a leak.",
    labels: ["kind"],
  },
  guardState: {
    name: "runner_fleet_guard_state",
    kind: "gauge",
    help: "The guard's view of each repository's trusted routing after its last round: 1 for the current state (enabled, rolled-back, held), 0 for the others. Only on the host that runs the guard.",
    labels: ["repository", "state"],
  },
  guardTriggers: {
    name: "runner_fleet_guard_triggers",
    kind: "gauge",
    help: "1 while a rollback trigger (kind: boot-failures, queue-wait, controller-offline, route-mismatch) was active in the guard's last round, per repository.",
    labels: ["repository", "kind"],
  },
  guardDecisions: {
    name: "runner_fleet_guard_decisions_total",
    kind: "counter",
    help: "Rollbacks and restores of trusted routing the guard applied or failed to apply (result: applied, failed), per repository.",
    labels: ["repository", "action", "result"],
  },
  guardRounds: {
    name: "runner_fleet_guard_rounds_total",
    kind: "counter",
    help: "The guard's rounds, by result (ok; failed, e.g. GitHub unreachable).",
    labels: ["result"],
  },
  hostFacts: {
    name: "runner_fleet_host_facts",
    kind: "gauge",
    help: "The host's hardware as read at start (fact: cpu_cores, memory_mib, numa_nodes, iommu_groups, gpus, hugepages_mib) and pools_refused: pools this host cannot hold.",
    labels: ["fact"],
  },
  restoreFallbacks: {
    name: "runner_fleet_restore_fallbacks_total",
    kind: "counter",
    help: "VMs of a pool with start: restore that booted instead, by pool and reason (no_snapshot: none ready yet; restore_failed).",
    labels: ["pool", "reason"],
  },
  up: {
    name: "runner_fleet_controller_up",
    kind: "gauge",
    help: "1 while the controller's last reconcile pass succeeded.",
    labels: [],
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof metricCatalog;
