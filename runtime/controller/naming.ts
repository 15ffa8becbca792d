/**
 * Names of everything a controller owns. One name per VM is used everywhere: the GitHub runner,
 * the libvirt domain, and the overlay, secret, log and record files. The `prefix-host-` part
 * is what lets a restarted controller find (and only find) its own leftovers.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";

const suffixLength = 8;
/** GitHub's limit on runner names. */
export const maxRunnerNameLength = 64;

export function ownerPrefix(namePrefix: string, host: string): string {
  return `${namePrefix}-${host}-`;
}

export function runnerName(namePrefix: string, host: string, pool: string, suffix = randomSuffix()): string {
  return `${ownerPrefix(namePrefix, host)}${pool}-${suffix}`;
}

export function randomSuffix(): string {
  return randomBytes(suffixLength / 2).toString("hex");
}

/** The pool a name belongs to, or undefined if the name is not one of ours. */
export function poolOfName(name: string, namePrefix: string, host: string): string | undefined {
  const own = ownerPrefix(namePrefix, host);
  if (!name.startsWith(own)) return undefined;
  const match = /^(.+)-[0-9a-f]{8}$/.exec(name.slice(own.length));
  return match?.[1];
}

/** Files the controller keeps per VM, all under the state directory. */
export interface VmPaths {
  record: string;
  overlay: string;
  secret: string;
  serialLog: string;
  /** The job channel's unix socket (created by libvirtd while the domain runs). */
  channel: string;
}

export function stateDirs(stateDir: string) {
  return {
    records: join(stateDir, "vms"),
    overlays: join(stateDir, "overlays"),
    secrets: join(stateDir, "secrets"),
    logs: join(stateDir, "logs"),
    channels: join(stateDir, "channels"),
    history: join(stateDir, "history.jsonl"),
    drainFlag: join(stateDir, "drain"),
  };
}

export function vmPaths(stateDir: string, name: string): VmPaths {
  const dirs = stateDirs(stateDir);
  return {
    record: join(dirs.records, `${name}.json`),
    overlay: join(dirs.overlays, `${name}.qcow2`),
    secret: join(dirs.secrets, `${name}.jit`),
    serialLog: join(dirs.logs, `${name}.log`),
    channel: join(dirs.channels, `${name}.sock`),
  };
}

/** The VM name a state file belongs to: its file name without directory and extension. */
export function nameOfFile(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.indexOf(".");
  return dot === -1 ? base : base.slice(0, dot);
}
