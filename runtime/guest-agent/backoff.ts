/** Bounded exponential backoff: how long to wait before retry number `attempt` (1-based). */
export interface BackoffPolicy {
  /** Retries after the first try; once used up, the caller gives up. */
  retries: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** About 20 s of retrying in all: long enough for an emulator restart, short enough to fail a boot. */
export const defaultBackoff: BackoffPolicy = { retries: 8, initialDelayMs: 250, maxDelayMs: 5_000 };

export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
}
