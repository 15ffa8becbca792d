/**
 * Demand: which queued jobs this host should provision VMs for, and in which pool.
 *
 * Hosts that serve the same repositories coordinate without talking to each other: each job
 * has one owner among the peers, chosen by rendezvous hashing on the job id, so every host
 * computes the same owner. Only when the owner has not picked a job up within a fallback delay
 * (it may be full, draining or down) do the other peers count it too.
 */
import { createHash } from "node:crypto";
import type { PoolConfig } from "../config/controller-config.ts";
import { labelsSatisfy } from "../protocol/labels.ts";

export interface QueuedJob {
  id: number;
  runId: number;
  repository: string;
  labels: string[];
  /** Epoch ms the job was queued on GitHub. */
  queuedAt: number;
  /** Epoch ms this controller first heard of it: a webhook's arrival or the poll that listed it. */
  seenAt: number;
  /** Set when the webhook already shows an untrusted context (e.g. a bot sender). */
  untrusted?: string;
}

/** The pool that serves a job: the most specific one whose labels satisfy it (fewest labels, then name). */
export function poolForJob(pools: readonly PoolConfig[], jobLabels: readonly string[]): PoolConfig | undefined {
  return pools
    .filter((pool) => labelsSatisfy(pool.labels, jobLabels))
    .sort((a, b) => a.labels.length - b.labels.length || a.name.localeCompare(b.name))[0];
}

/** The peer that owns a job: highest hash of (host, job id). Stable as peers come and go. */
export function jobOwner(jobId: number, peers: readonly string[]): string {
  let best = "";
  let bestScore = "";
  for (const peer of peers) {
    const score = createHash("sha256").update(`${peer}\0${jobId}`).digest("hex");
    if (score > bestScore) {
      best = peer;
      bestScore = score;
    }
  }
  return best;
}

export interface DemandOptions {
  self: string;
  /** All hosts serving these repositories, including `self`. */
  peers: readonly string[];
  now: number;
  /** After this long in the queue, a job counts for every peer, not just its owner. */
  peerFallbackMs: number;
}

/** Queued jobs per pool name that this host should serve. Untrusted jobs are left out. */
export function demandByPool(
  jobs: readonly QueuedJob[],
  pools: readonly PoolConfig[],
  options: DemandOptions,
): Map<string, QueuedJob[]> {
  const peers = options.peers.includes(options.self) ? options.peers : [...options.peers, options.self];
  const demand = new Map<string, QueuedJob[]>(pools.map((pool) => [pool.name, []]));
  for (const job of jobs) {
    if (job.untrusted !== undefined) continue;
    const pool = poolForJob(pools, job.labels);
    if (!pool) continue;
    const mine = jobOwner(job.id, peers) === options.self || options.now - job.queuedAt >= options.peerFallbackMs;
    if (mine) demand.get(pool.name)!.push(job);
  }
  return demand;
}
