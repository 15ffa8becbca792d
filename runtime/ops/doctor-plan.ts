/**
 * `fleet doctor`'s plan, a pure function: which leftovers to remove, and why the rest stays.
 *
 * Safe beside a running controller: it never touches anything whose VM has a record (the
 * controller writes the record before it creates anything, and removes it last), and only
 * removes what is older than the minimum age.
 * - Domains: age from the domain's metadata (`createdAt`). Domains without our metadata were
 *   not made by runner-fleet and stay.
 * - Overlays, JIT config files, serial logs: age from the file's mtime. Overlays the hypervisor
 *   lists without a file (the in-memory driver) have no age and stay unless --min-age is 0.
 * - Runner registrations have no creation time in GitHub's API. One with the owner prefix and
 *   neither record nor domain can never run a job again (its JIT config was single-use and its
 *   VM is gone), so its age does not matter; it is removed when offline and not busy. An online
 *   one without a VM is reported and left (something unexpected holds its session).
 * - Serial logs of failed VMs (the controller keeps them for diagnosis) beyond the newest
 *   `keepLogs` are removed once old enough.
 */
import type { RunnerInfo } from "../ports/github.ts";
import type { LocalState } from "./local-state.ts";

export type LeftoverKind = "domain" | "overlay" | "secret" | "log" | "runner";

export interface Removal {
  kind: LeftoverKind;
  name: string;
  /** File path (overlay, secret, log). */
  path?: string;
  /** GitHub runner id. */
  runnerId?: number;
  ageMs?: number;
  why: string;
}

export interface Kept {
  kind: LeftoverKind;
  name: string;
  why: string;
}

export interface DoctorPlan {
  remove: Removal[];
  keep: Kept[];
}

export interface DoctorInput {
  local: LocalState;
  /** Undefined when GitHub could not be read: runners are then left alone. */
  runners: readonly RunnerInfo[] | undefined;
  now: number;
  minAgeMs: number;
  keepLogs: number;
}

export function planDoctor(input: DoctorInput): DoctorPlan {
  const { local, now, minAgeMs } = input;
  const plan: DoctorPlan = { remove: [], keep: [] };
  const hasRecord = (name: string) => local.records.has(name);
  const domains = new Set(local.domains.map((d) => d.name));
  const oldEnough = (kind: LeftoverKind, name: string, since: number | undefined, why: string, extra: Partial<Removal> = {}) => {
    if (since === undefined && minAgeMs > 0) return void plan.keep.push({ kind, name, why: "its age is unknown" });
    const ageMs = since === undefined ? undefined : Math.max(0, now - since);
    if (ageMs !== undefined && ageMs < minAgeMs) return void plan.keep.push({ kind, name, why: `younger than --min-age (${Math.round(ageMs / 1000)} s old)` });
    plan.remove.push({ kind, name, why, ...(ageMs !== undefined ? { ageMs } : {}), ...extra });
  };

  for (const domain of local.domains) {
    if (hasRecord(domain.name)) continue;
    if (!domain.metadata) {
      plan.keep.push({ kind: "domain", name: domain.name, why: "no runner-fleet metadata: not created by a controller" });
      continue;
    }
    const created = Date.parse(domain.metadata.createdAt);
    oldEnough("domain", domain.name, Number.isFinite(created) ? created : undefined, `domain (${domain.state}) without a VM record`);
  }
  for (const overlay of local.overlays) {
    if (hasRecord(overlay.name) || domains.has(overlay.name)) continue;
    oldEnough("overlay", overlay.name, overlay.mtime, "overlay without a VM record or domain", { path: overlay.path });
  }
  for (const secret of local.secrets) {
    if (hasRecord(secret.name)) continue;
    oldEnough("secret", secret.name, secret.mtime, "JIT config file without a VM record", { path: secret.path });
  }
  const orphanLogs = local.logs.filter((log) => !hasRecord(log.name)).sort((a, b) => (b.mtime ?? 0) - (a.mtime ?? 0));
  for (const log of orphanLogs.slice(input.keepLogs)) {
    oldEnough("log", log.name, log.mtime, `serial log beyond the newest ${input.keepLogs} kept`, { path: log.path });
  }
  for (const runner of input.runners ?? []) {
    if (hasRecord(runner.name) || domains.has(runner.name)) continue;
    if (runner.busy) plan.keep.push({ kind: "runner", name: runner.name, why: "busy: GitHub refuses to remove a runner while it holds a job" });
    else if (runner.status === "online") plan.keep.push({ kind: "runner", name: runner.name, why: "online without a VM here: left for a person to look at" });
    else plan.remove.push({ kind: "runner", name: runner.name, runnerId: runner.id, why: "offline registration with neither VM record nor domain" });
  }
  return plan;
}
