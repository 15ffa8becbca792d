/**
 * JIT on claim, the decision (pure): which waiting VM takes which queued job this pass.
 *
 * Only jobs of on-claim pools whose trust check has cleared them are given out: an untrusted job
 * never gets a JIT config, and one still being judged waits for its verdict (a lookup takes one
 * API call, milliseconds against a pass). A job goes to a waiting VM of the same shape (vCPUs and
 * memory, and any other shape setting: arch, disk, devices...), whichever on-claim pool started it: one warm VM serves every label set of the host
 * that shares its shape. Oldest job first, to the VM that has waited longest. A VM takes one job,
 * ever (`claim-lifecycle.ts`).
 */
import { registersOnClaim } from "../config/pool-register-shape.ts";
import type { PoolConfig } from "../config/controller-config.ts";
import { nextClaimPhase } from "./claim-lifecycle.ts";
import type { QueuedJob } from "./demand.ts";
import type { VmRecord } from "./vm-record.ts";

export interface ClaimInput {
  /** VMs that stay this pass and have no action running. */
  vms: readonly VmRecord[];
  /** This host's share of the queued jobs, per pool (`demandByPool`), jobs already claimed left out. */
  demand: ReadonlyMap<string, readonly QueuedJob[]>;
  pools: readonly PoolConfig[];
  /** Jobs whose runs the trust check has judged and not refused. */
  cleared: ReadonlySet<number>;
  now: number;
}

export interface Claim {
  /** The VM's record, now `claimed` with its job. */
  record: VmRecord;
  job: QueuedJob;
}

/** Pool keys that do not shape a VM: everything else (vCPUs, memory, arch, disk, devices...) must match. */
const notShape = new Set(["name", "labels", "min", "max", "target", "sizing", "coldStartTarget", "idleTimeoutSeconds", "register"]);

/** What a VM of the pool is, as far as a job can tell: two pools with equal shapes give equal VMs. */
export function shapeOf(pool: PoolConfig): string {
  const entries = Object.entries(pool).filter(([key, value]) => !notShape.has(key) && value !== undefined);
  return JSON.stringify(entries.sort(([a], [b]) => a.localeCompare(b)));
}

export function planClaims(input: ClaimInput): Claim[] {
  const pools = new Map(input.pools.map((pool) => [pool.name, pool]));
  const waiting = new Map<string, VmRecord[]>();
  for (const vm of [...input.vms].sort((a, b) => (a.times.online ?? 0) - (b.times.online ?? 0) || a.name.localeCompare(b.name))) {
    const pool = pools.get(vm.pool);
    if (!pool || vm.claimedJob !== undefined || nextClaimPhase(vm.phase, "claim") === undefined) continue;
    const list = waiting.get(shapeOf(pool)) ?? [];
    list.push(vm);
    waiting.set(shapeOf(pool), list);
  }
  const jobs = [...input.demand.entries()]
    .flatMap(([poolName, list]) => {
      const pool = pools.get(poolName);
      return pool && registersOnClaim(pool) ? list.map((job) => ({ job, shape: shapeOf(pool) })) : [];
    })
    .filter(({ job }) => input.cleared.has(job.id))
    .sort((a, b) => a.job.queuedAt - b.job.queuedAt || a.job.id - b.job.id);

  const claims: Claim[] = [];
  for (const { job, shape } of jobs) {
    const vm = waiting.get(shape)?.shift();
    if (!vm) continue;
    const record: VmRecord = {
      ...vm,
      phase: nextClaimPhase(vm.phase, "claim")!,
      times: { ...vm.times, claimed: input.now },
      claimedJob: { id: job.id, runId: job.runId, repository: job.repository, labels: [...job.labels] },
    };
    claims.push({ record, job });
  }
  return claims;
}

/** Ids of the jobs VMs have been given: no longer demand, whatever the queue still says. */
export function claimedJobIds(records: readonly VmRecord[]): Set<number> {
  return new Set(records.flatMap((record) => (record.claimedJob ? [record.claimedJob.id] : [])));
}
