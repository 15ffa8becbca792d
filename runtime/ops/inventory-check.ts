/**
 * `fleet health`'s comparison, a pure function: the host's records, domains and files against
 * GitHub's runners with the owner prefix. Local findings mean the host is degraded; GitHub-side
 * findings are anomalies in GitHub's inventory (reported always, failing only with --strict).
 */
import type { RunnerInfo } from "../ports/github.ts";
import type { LocalState } from "./local-state.ts";

export type FindingCode =
  | "unreadable-record"
  | "domain-without-record"
  | "record-without-domain"
  | "vm-without-runner"
  | "orphan-overlay"
  | "orphan-secret"
  | "runner-without-vm"
  | "busy-runner-without-vm"
  | "offline-runner";

export interface Finding {
  code: FindingCode;
  side: "local" | "github";
  /** The VM (or runner) name. */
  subject: string;
  message: string;
}

/** Phases in which a VM must have a running domain and an online runner. */
const live = new Set(["idle", "busy"]);

export function compareInventory(local: LocalState, runners: readonly RunnerInfo[] | undefined): Finding[] {
  const findings: Finding[] = [];
  const add = (code: FindingCode, side: Finding["side"], subject: string, message: string) => findings.push({ code, side, subject, message });
  const domains = new Map(local.domains.map((d) => [d.name, d]));
  const byName = new Map((runners ?? []).map((r) => [r.name, r]));

  for (const [name, record] of local.records) {
    if (record === undefined) {
      add("unreadable-record", "local", name, `the VM record of ${name} cannot be read (disk corruption or tampering): the controller's passes fail until it is fixed`);
      continue;
    }
    const domain = domains.get(name);
    if (!domain && (record.phase === "booting" || live.has(record.phase))) {
      add("record-without-domain", "local", name, `${name} is ${record.phase} in its record but libvirt has no such domain`);
    }
    if (runners !== undefined && live.has(record.phase)) {
      const runner = byName.get(name);
      if (!runner) add("vm-without-runner", "local", name, `${name} is ${record.phase} but GitHub has no runner of that name: it can take no job`);
      else if (runner.status === "offline") add("offline-runner", "github", name, `${name} is ${record.phase} here but GitHub shows its runner offline`);
    }
  }
  for (const domain of local.domains) {
    if (!local.records.has(domain.name)) add("domain-without-record", "local", domain.name, `domain ${domain.name} (${domain.state}) has no VM record`);
  }
  for (const overlay of local.overlays) {
    if (!local.records.has(overlay.name) && !domains.has(overlay.name)) add("orphan-overlay", "local", overlay.name, `overlay ${overlay.path} belongs to no VM record or domain`);
  }
  for (const secret of local.secrets) {
    if (!local.records.has(secret.name)) add("orphan-secret", "local", secret.name, `JIT config file ${secret.path} belongs to no VM record`);
  }
  for (const runner of runners ?? []) {
    if (local.records.has(runner.name) || domains.has(runner.name)) continue;
    if (runner.busy) add("busy-runner-without-vm", "github", runner.name, `runner ${runner.name} (id ${runner.id}) is busy on GitHub but no VM here runs it: its job is stuck until GitHub fails it`);
    else add("runner-without-vm", "github", runner.name, `runner ${runner.name} (id ${runner.id}, ${runner.status}) has no VM record or domain here`);
  }
  return findings;
}
