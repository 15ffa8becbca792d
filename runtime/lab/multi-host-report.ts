/**
 * The multi-host lab's report, from what it measured: per job the host that ran it, how often it
 * was claimed, its phases; then the fleet-wide counts in one last line that scripts and the
 * integration test read. Pure: the numbers come in, text goes out.
 */
import type { Phase } from "../controller/phase-durations.ts";
import { formatSeconds } from "./lab-report.ts";

export interface MultiHostRow {
  job: string;
  jobId: number;
  /** The host whose VM ran it ("-" when none did). */
  host: string;
  /** The claims the coordinator recorded (its fencing token): 2 or more means it was taken over. */
  claims: number;
  conclusion: string;
  /** When the job started on GitHub (the emulator). */
  startedAt: number | undefined;
  phasesMs: Partial<Record<Phase, number>>;
}

export interface MultiHostCounts {
  jobs: number;
  served: number;
  /** VMs that ended without a job and without failing while jobs waited: a second VM for one job. */
  duplicateVms: number;
  /** Jobs a faulted host held (claimed) that another host then ran. */
  reclaimed: number;
  /** The longest from a fault (SIGKILL, cut-off) to such a job starting on another host. */
  maxReclaimMs: number | undefined;
  leaks: number;
}

export interface HostFault {
  host: string;
  kind: "killed" | "cut off";
  at: number;
  /** The jobs the host held (claimed) when the fault began. */
  held: number[];
}

export interface ClaimFact {
  jobId: number;
  host: string | null;
  token: number;
}

/** Who ran a job in the end (GitHub's view: the runner's host) and when it started. */
export interface RunFact {
  jobId: number;
  host: string;
  startedAt: number | undefined;
}

/**
 * Jobs a faulted host held that another host then ran, and the longest from the fault to such a
 * job starting. GitHub hands a queued job to any idle runner with its labels, so a claim is a
 * host's promise of one VM, not a binding to that job: what a user sees is whether the faulted
 * host's jobs ran elsewhere, and how long after the fault.
 */
export function reclaims(faults: readonly HostFault[], runs: readonly RunFact[]): { reclaimed: number; maxReclaimMs: number | undefined } {
  const byJob = new Map(runs.map((run) => [run.jobId, run]));
  let reclaimed = 0;
  let maxReclaimMs: number | undefined;
  for (const fault of faults) {
    for (const jobId of fault.held) {
      const run = byJob.get(jobId);
      if (!run || run.host === fault.host || run.host === "-" || run.startedAt === undefined || run.startedAt < fault.at) continue;
      reclaimed += 1;
      maxReclaimMs = Math.max(maxReclaimMs ?? 0, run.startedAt - fault.at);
    }
  }
  return { reclaimed, maxReclaimMs };
}

export function finalLine(counts: MultiHostCounts): string {
  const max = counts.maxReclaimMs === undefined ? "-" : (counts.maxReclaimMs / 1000).toFixed(1);
  return `multi-host: jobs ${counts.jobs} served ${counts.served}, duplicate VMs ${counts.duplicateVms}, reclaimed ${counts.reclaimed} (max reclaim ${max} s), leaks ${counts.leaks}`;
}

const phases: Phase[] = ["intake", "jit", "boot", "idle", "run", "teardown"];

export function renderHostJobTable(rows: readonly MultiHostRow[]): string {
  const jobWidth = Math.max(3, ...rows.map((r) => r.job.length)) + 2;
  const hostWidth = Math.max(4, ...rows.map((r) => r.host.length)) + 2;
  const header = "job".padEnd(jobWidth) + "host".padEnd(hostWidth) + "claims".padStart(6) + phases.map((p) => p.padStart(9)).join("") + "  result";
  const lines = rows.map(
    (row) =>
      row.job.padEnd(jobWidth) +
      row.host.padEnd(hostWidth) +
      String(row.claims).padStart(6) +
      phases.map((p) => formatSeconds(row.phasesMs[p]).padStart(9)).join("") +
      `  ${row.conclusion}`,
  );
  return [header, "-".repeat(header.length), ...lines].join("\n");
}

/** The host a runner belongs to, from its name `<prefix>-<host>-<pool>-<id>`. */
export function hostOfRunner(runner: string | null | undefined, prefix: string, hosts: readonly string[]): string {
  if (!runner) return "-";
  return hosts.find((host) => runner.startsWith(`${prefix}-${host}-`)) ?? "?";
}
