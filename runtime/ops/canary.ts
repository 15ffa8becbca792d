/**
 * `fleet canary`: where the rollout of trusted routing stands and whether it may go on. Pure.
 *
 * Stage: how many trusted pull request runs have run on the fleet so far, against the stages
 * 1, 10, 25, then all trusted PRs. Criteria, over the latest 50 trusted runs (runs due on the
 * fleet, or that ran there) and what happened on the fleet in the same period:
 * - lifecycle success ≥ 98%: VM ends that were not failures, of all VM ends since the oldest run;
 * - routing correctness 100%: runs since the oldest one that ran where they should have;
 * - p95 queue wait ≤ 120 s and p95 setup (VM requested → runner online) ≤ 180 s, over the
 *   fleet's jobs of those runs.
 * A criterion without data says so (no-data); the verdict is then "insufficient-data", never pass.
 */
import type { StatusDocument } from "../controller/status-report.ts";
import { failureReasons, type HistoryEntry, type JobRef, type VmTimes } from "../controller/vm-record.ts";
import type { RunVerdict } from "../guard/run-analysis.ts";
import { percentile } from "../observability/percentiles.ts";
import { formatDuration } from "./duration.ts";
import { fleetJobEnds } from "../controller/fleet-history.ts";
import { setupMs } from "./job-timings.ts";

export const canaryStages = [1, 10, 25] as const;
export const canaryThresholds = { sampleRuns: 50, lifecycleSuccess: 0.98, routingCorrectness: 1, queueWaitP95Ms: 120_000, setupP95Ms: 180_000 };

export type CriterionName = "lifecycle-success" | "routing-correctness" | "queue-wait-p95" | "setup-p95";

export interface CanaryCriterion {
  name: CriterionName;
  target: string;
  /** Ratio (0..1) or milliseconds; null without data. */
  value: number | null;
  display: string;
  samples: number;
  status: "pass" | "fail" | "no-data";
}

export interface CanaryReport {
  stage: { trustedPrsOnFleet: number; reached: number | null; current: number | "all"; label: string };
  sample: { runs: number; since: string | null };
  criteria: CanaryCriterion[];
  verdict: "pass" | "fail" | "insufficient-data";
  next: string;
}

export interface CanaryInput {
  runs: readonly RunVerdict[];
  statuses: readonly StatusDocument[];
}

const percent = (ratio: number) => `${(Math.floor(ratio * 1000) / 10).toFixed(1)}%`;

export function canaryStage(trustedPrsOnFleet: number): CanaryReport["stage"] {
  const reached = [...canaryStages].reverse().find((s) => trustedPrsOnFleet >= s) ?? null;
  const current = canaryStages.find((s) => trustedPrsOnFleet < s) ?? "all";
  const label = current === "all" ? `all trusted PRs (${trustedPrsOnFleet} so far)` : `${current} trusted PRs (${trustedPrsOnFleet} of ${current} so far)`;
  return { trustedPrsOnFleet, reached, current, label };
}

function ratioCriterion(name: CriterionName, good: number, total: number, minimum: number): CanaryCriterion {
  const target = minimum === 1 ? "100%" : `≥ ${percent(minimum)}`;
  if (total === 0) return { name, target, value: null, display: "no data", samples: 0, status: "no-data" };
  const value = good / total;
  return { name, target, value, display: `${percent(value)} (${good}/${total})`, samples: total, status: value >= minimum ? "pass" : "fail" };
}

function p95Criterion(name: CriterionName, values: readonly number[], limitMs: number): CanaryCriterion {
  const target = `≤ ${formatDuration(limitMs)}`;
  const value = percentile(values, 95);
  if (value === undefined) return { name, target, value: null, display: "no data", samples: 0, status: "no-data" };
  return { name, target, value, display: `${formatDuration(value)} over ${values.length} job(s)`, samples: values.length, status: value <= limitMs ? "pass" : "fail" };
}

const runKey = (repository: string | undefined, runId: number | undefined) => `${repository ?? "?"}#${runId ?? "?"}`;
const jobKey = (repository: string | undefined, jobId: number) => `${repository ?? "?"}/job/${jobId}`;

export function evaluateCanary(input: CanaryInput): CanaryReport {
  const trustedPrs = input.runs.filter((r) => r.trust === "trusted" && r.event === "pull_request" && r.placement === "fleet").length;
  const stage = canaryStage(trustedPrs);
  const sample = input.runs
    .filter((r) => r.trust === "trusted" && (r.placement === "fleet" || r.expected === "self-hosted"))
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, canaryThresholds.sampleRuns);
  const since = sample.length > 0 ? Math.min(...sample.map((r) => r.createdAt)) : undefined;

  const fleetEnds = fleetJobEnds(input.statuses);
  const ends: HistoryEntry[] = fleetEnds.filter((e) => since !== undefined && (e.times.tornDown ?? e.times.requested) >= since);
  const lifecycle = ratioCriterion("lifecycle-success", ends.filter((e) => !failureReasons.has(e.reason)).length, ends.length, canaryThresholds.lifecycleSuccess);

  const judged = input.runs.filter((r) => since !== undefined && r.createdAt >= since && r.placement !== "none");
  const routing = ratioCriterion("routing-correctness", judged.filter((r) => r.mismatch === undefined).length, judged.length, canaryThresholds.routingCorrectness);

  const sampleRuns = new Set(sample.map((r) => runKey(r.repository, r.runId)));
  // The coordinator's copy of another host's VM names its job, not the job's run.
  const sampleJobs = new Set(sample.flatMap((r) => r.fleetJobs.map((id) => jobKey(r.repository, id))));
  const jobs: { job?: JobRef; times: VmTimes; queueWaitMs?: number }[] = [...fleetEnds, ...input.statuses.flatMap((s) => s.vms)];
  const ofSample = jobs.filter(
    (j) => j.job !== undefined && (sampleRuns.has(runKey(j.job.repository, j.job.runId)) || (j.job.id !== undefined && sampleJobs.has(jobKey(j.job.repository, j.job.id)))),
  );
  const waits = ofSample.map((j) => j.queueWaitMs ?? (j.job?.queuedAt !== undefined && j.times.assigned !== undefined ? j.times.assigned - j.job.queuedAt : undefined)).filter((v): v is number => v !== undefined);
  const setups = ofSample.map((j) => setupMs(j.times)).filter((v): v is number => v !== undefined);
  const criteria = [lifecycle, routing, p95Criterion("queue-wait-p95", waits, canaryThresholds.queueWaitP95Ms), p95Criterion("setup-p95", setups, canaryThresholds.setupP95Ms)];

  const verdict: CanaryReport["verdict"] = criteria.some((c) => c.status === "fail")
    ? "fail"
    : sample.length === 0 || criteria.some((c) => c.status === "no-data")
      ? "insufficient-data"
      : "pass";
  const next =
    verdict === "fail"
      ? `hold the rollout at ${stage.label}: ${criteria.filter((c) => c.status === "fail").map((c) => c.name).join(", ")} failing; fleet rollback if users are affected`
      : verdict === "insufficient-data"
        ? `not enough data to judge (${sample.length} trusted run(s)${criteria.some((c) => c.status === "no-data") ? `; no data for ${criteria.filter((c) => c.status === "no-data").map((c) => c.name).join(", ")}` : ""}): let trusted PRs run on the fleet, then check again`
        : stage.current === "all"
          ? "criteria hold: trusted routing is rolled out to all trusted PRs"
          : `criteria hold: continue the rollout to ${stage.label}`;
  return { stage, sample: { runs: sample.length, since: since === undefined ? null : new Date(since).toISOString() }, criteria, verdict, next };
}

export function renderCanary(report: CanaryReport): string {
  const lines = [`stage: ${report.stage.label}${report.stage.reached !== null ? `; stage ${report.stage.reached} reached` : ""}`];
  lines.push(`sample: latest ${report.sample.runs} trusted run(s)${report.sample.since ? ` since ${report.sample.since}` : ""}`);
  for (const c of report.criteria) lines.push(`  ${c.status.toUpperCase().padEnd(7)} ${c.name.padEnd(20)} ${c.display} (target ${c.target})`);
  lines.push(`verdict: ${report.verdict}`);
  lines.push(`next: ${report.next}`);
  return lines.join("\n") + "\n";
}
