/**
 * Trigger: a host's latest runner boots or registrations failed N times in a row (default 2).
 *
 * Per host, because one broken host (image, libvirt, its network) is what this catches, and
 * interleaving with healthy hosts must not hide it. "Latest" means the streak ending at the
 * host's newest attempt: a streak that a later success broke is over. A failing pool retries
 * under exponential backoff, so a broken host keeps its streak long enough to be seen.
 */
import type { BootAttempt } from "./evidence.ts";
import type { Trigger } from "./trigger.ts";

export function bootFailureTrigger(attempts: readonly BootAttempt[], options: { threshold: number; since?: number }): Trigger | undefined {
  const byHost = new Map<string, BootAttempt[]>();
  for (const attempt of attempts) {
    if (options.since !== undefined && attempt.at < options.since) continue;
    byHost.set(attempt.host, [...(byHost.get(attempt.host) ?? []), attempt]);
  }
  const streaks: string[] = [];
  for (const [host, list] of [...byHost].sort(([a], [b]) => a.localeCompare(b))) {
    const ordered = [...list].sort((a, b) => a.at - b.at);
    const streak: BootAttempt[] = [];
    for (let i = ordered.length - 1; i >= 0 && !ordered[i]!.ok; i--) streak.unshift(ordered[i]!);
    if (streak.length >= options.threshold) {
      const reasons = streak.map((a) => `${a.vm} ${a.reason ?? "failed"}`).join(", ");
      streaks.push(`host ${host}: the last ${streak.length} runner boots failed (${reasons})`);
    }
  }
  if (streaks.length === 0) return undefined;
  return { kind: "boot-failures", message: streaks.join("; ") };
}
