/**
 * Label preflight: from the jobs queued right now, the label set the fleet must offer to take
 * them all, and the jobs no pool (or no policy) lets the fleet take.
 *
 * A runner takes a job when the job's labels are a subset of the runner's (case-insensitive),
 * so the minimal label set covering every job is the union of their label sets: each label in
 * it is asked for by some job, and leaving any out strands that job.
 */
import { canServe, hasLabel, missingLabels, normalizeLabel, uniqueLabels } from "./label-set.ts";
import { fleetLabelsOf, fleetVocabulary, type LabelPolicy } from "./policy.ts";

export interface QueuedJob {
  id: number;
  repository: string;
  labels: string[];
}

export interface PoolLabels {
  name: string;
  labels: string[];
}

export type UnservableCode = "outside-policy" | "no-pool";

export interface UnservableJob extends QueuedJob {
  code: UnservableCode;
  message: string;
}

export interface PreflightReport {
  /** Queued jobs seen in all. */
  jobs: number;
  /** Jobs meant for GitHub-hosted runners (no fleet label at all): not the fleet's concern. */
  hostedJobs: number;
  /**
   * The minimal label set covering every fleet job within the policy (base labels first),
   * including jobs today's pools cannot take: it says what the pools would need.
   */
  labels: string[];
  /** Per pool, the queued jobs its labels can take. */
  pools: { name: string; jobs: number[] }[];
  unservable: UnservableJob[];
}

export function preflight(input: { jobs: QueuedJob[]; pools: PoolLabels[]; policy?: LabelPolicy }): PreflightReport {
  const { jobs, pools, policy } = input;
  const vocabulary = uniqueLabels([
    "self-hosted",
    ...pools.flatMap((pool) => pool.labels),
    ...(policy ? fleetVocabulary(policy) : []),
  ]);
  const fleetJobs = jobs.filter((job) => job.labels.some((label) => hasLabel(vocabulary, label)));

  const unservable: UnservableJob[] = [];
  const coverable: QueuedJob[] = [];
  for (const job of fleetJobs) {
    const violation = policy ? policyViolation(policy, job.labels) : undefined;
    if (violation !== undefined) {
      unservable.push({ ...job, code: "outside-policy", message: violation });
      continue;
    }
    coverable.push(job);
    if (!pools.some((pool) => canServe(pool.labels, job.labels))) {
      unservable.push({ ...job, code: "no-pool", message: `no pool has all of [${job.labels.join(", ")}]` });
    }
  }

  const union = uniqueLabels(coverable.flatMap((job) => job.labels));
  const order = policy?.requiredBase ?? ["self-hosted"];
  const rank = (label: string): number => {
    const i = order.findIndex((base) => normalizeLabel(base) === normalizeLabel(label));
    return i === -1 ? order.length : i;
  };
  // Base labels in the policy's order, then the rest as the jobs first name them (sort is stable).
  const labels = union.sort((a, b) => rank(a) - rank(b));

  return {
    jobs: jobs.length,
    hostedJobs: jobs.length - fleetJobs.length,
    labels,
    pools: pools.map((pool) => ({
      name: pool.name,
      jobs: coverable.filter((job) => canServe(pool.labels, job.labels)).map((job) => job.id),
    })),
    unservable,
  };
}

/** Why a fleet job's labels break the policy, or undefined when they keep it. */
function policyViolation(policy: LabelPolicy, labels: string[]): string | undefined {
  const fleetLabels = fleetLabelsOf(policy.requiredBase);
  const problems: string[] = [];
  if (missingLabels(fleetLabels, labels).length === fleetLabels.length) problems.push(`no fleet label (${fleetLabels.join(" or ")})`);
  const missing = missingLabels(policy.requiredBase, labels).filter((label) => !hasLabel(fleetLabels, label));
  if (missing.length > 0) problems.push(`lacks ${missing.join(", ")}`);
  const unknown = labels.filter((label) => !hasLabel(fleetVocabulary(policy), label));
  if (unknown.length > 0) problems.push(`not allowed: ${unknown.join(", ")}`);
  return problems.length === 0 ? undefined : `[${labels.join(", ")}]: ${problems.join("; ")}`;
}
