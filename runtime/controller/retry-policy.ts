/**
 * Retries within a budget: a failed VM is simply replaced on the next pass, but a pool whose
 * VMs keep failing backs off exponentially (5 s, 10 s, 20 s … capped at 5 min), so a broken
 * image or an unreachable GitHub does not turn into a tight create/destroy loop.
 * Derived from the history journal, so the backoff survives a controller restart.
 */
import { failureReasons, type HistoryEntry } from "./vm-record.ts";

export const backoffBaseMs = 5_000;
export const backoffCapMs = 300_000;

/**
 * Failures at the end of the pool's history, newest last; a success or normal end resets it.
 * A provision cut short by a controller crash says nothing about the pool: it is skipped, or
 * every restart mid-provision would hold the pool back (up to minutes after a few crashes).
 */
export function consecutiveFailures(history: readonly HistoryEntry[], pool: string): { count: number; lastAt?: number } {
  let count = 0;
  let lastAt: number | undefined;
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i]!;
    if (entry.pool !== pool || entry.reason === "interrupted") continue;
    if (!failureReasons.has(entry.reason)) break;
    count++;
    lastAt ??= entry.times.tornDown ?? entry.times.requested;
  }
  return lastAt === undefined ? { count } : { count, lastAt };
}

/** Epoch ms before which the pool must not provision, or undefined when it may. */
export function backoffUntil(failures: { count: number; lastAt?: number }, now: number): number | undefined {
  if (failures.count === 0 || failures.lastAt === undefined) return undefined;
  const delay = Math.min(backoffCapMs, backoffBaseMs * 2 ** (failures.count - 1));
  const until = failures.lastAt + delay;
  return until > now ? until : undefined;
}
