/**
 * Trigger: a controller offline for longer than the limit (default 10 minutes). Offline is
 * either unreachable (since it was last seen, or since the first failed attempt when the guard
 * never saw it) or answering with a reconcile loop that stopped (since its last pass).
 */
import type { ControllerObservation } from "./evidence.ts";
import type { Trigger } from "./trigger.ts";

/** Since when a controller is offline, or undefined when it is online. */
export function offlineSince(observation: ControllerObservation, now: number, limitMs: number): number | undefined {
  if (observation.status) {
    const lastPass = observation.status.controller.lastPassAt;
    const since = lastPass === null ? Date.parse(observation.status.controller.startedAt) : Date.parse(lastPass);
    // A loop that has not passed within the limit is as good as offline, answering or not.
    return Number.isFinite(since) && now - since > limitMs ? since : undefined;
  }
  return observation.lastSeenAt ?? observation.firstFailedAt ?? now;
}

export function controllerOfflineTrigger(
  observations: readonly ControllerObservation[],
  options: { now: number; limitMinutes: number },
): Trigger | undefined {
  const limitMs = options.limitMinutes * 60_000;
  const offline: string[] = [];
  for (const observation of observations) {
    const since = offlineSince(observation, options.now, limitMs);
    if (since === undefined || options.now - since <= limitMs) continue;
    const name = observation.host ?? observation.status?.host ?? observation.url;
    const why = observation.status ? "its reconcile loop has not passed" : `unreachable${observation.error ? ` (${observation.error})` : ""}`;
    offline.push(`controller ${name} offline for ${Math.round((options.now - since) / 60_000)} min: ${why} since ${new Date(since).toISOString()}`);
  }
  offline.push(...fleetOffline(observations, options.now, limitMs));
  if (offline.length === 0) return undefined;
  return { kind: "controller-offline", message: offline.join("; ") };
}

/**
 * A coordinated fleet's hosts that the guard does not watch itself but whose heartbeats stopped
 * (docs/coordination.md): the coordinator's `hosts` table, as any watched controller's status
 * shows it. A host silent for longer than a lease shows offline there; it trips the trigger once
 * it has been silent for longer than the limit.
 */
function fleetOffline(observations: readonly ControllerObservation[], now: number, limitMs: number): string[] {
  const watched = new Set(observations.map((o) => o.host ?? o.status?.host).filter((h) => h !== undefined));
  const silent = new Map<string, number>();
  for (const observation of observations) {
    for (const host of observation.status?.fleet?.hosts ?? []) {
      if (host.online || watched.has(host.host) || now - host.seenAt <= limitMs) continue;
      silent.set(host.host, Math.max(silent.get(host.host) ?? 0, host.seenAt));
    }
  }
  return [...silent].sort(([a], [b]) => a.localeCompare(b)).map(
    ([host, seenAt]) => `controller ${host} offline for ${Math.round((now - seenAt) / 60_000)} min: no heartbeat to the fleet's coordinator since ${new Date(seenAt).toISOString()}`,
  );
}
