/**
 * Runner labels. Every runner carries the base labels (self-hosted, linux, its arch, the fleet's
 * own label) plus its pool's labels; workflows put the base set in `runs-on` (read from the
 * CI_SELF_HOSTED_RUNS_ON variable), optionally adding a pool label to pick a VM size.
 */
import type { PoolConfig } from "../runtime/config/controller-config.ts";
import type { Arch, HostSettings } from "./stack-config.ts";

/** Labels every runner of an arch carries, in the order GitHub shows them. */
export function baseLabels(arch: Arch, fleetLabel: string): string[] {
  return ["self-hosted", "linux", arch, fleetLabel];
}

/** A pool's full label set: base labels, then the pool's own, without case-insensitive repeats. */
export function poolLabels(pool: Pick<PoolConfig, "labels">, arch: Arch, fleetLabel: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const label of [...baseLabels(arch, fleetLabel), ...pool.labels]) {
    if (seen.has(label.toLowerCase())) continue;
    seen.add(label.toLowerCase());
    out.push(label);
  }
  return out;
}

/**
 * The label set workflows use for `runs-on`: labels every pool of every host carries, so any
 * pool can take the job. With hosts of mixed arches the arch label is left out.
 */
export function fleetLabelSet(hosts: readonly Pick<HostSettings, "arch" | "pools">[], fleetLabel: string): string[] {
  const arches = new Set(hosts.map((host) => host.arch));
  const [only] = arches;
  return arches.size === 1 && only !== undefined ? baseLabels(only, fleetLabel) : ["self-hosted", "linux", fleetLabel];
}

/** Pool name -> the labels that select it, for workflows that want a particular VM size. */
export function poolLabelSets(
  hosts: readonly Pick<HostSettings, "arch" | "pools">[],
  fleetLabel: string,
): Record<string, string[]> {
  const sets: Record<string, string[]> = {};
  for (const host of hosts) {
    for (const pool of host.pools) {
      if (sets[pool.name] !== undefined) continue;
      const labels = poolLabels(pool, host.arch, fleetLabel);
      // A pool on hosts of several arches is selected without its arch label.
      const poolArches = new Set(hosts.filter((h) => h.pools.some((p) => p.name === pool.name)).map((h) => h.arch));
      sets[pool.name] = poolArches.size > 1 ? labels.filter((label) => !poolArches.has(label as Arch)) : labels;
    }
  }
  return Object.fromEntries(Object.entries(sets).sort(([a], [b]) => a.localeCompare(b)));
}
