/**
 * How dependency caches reach a guest (docs/caches.md). Each cache comes as two virtio disks told
 * apart by their serial: the pool's current generation read-only (`rfro-<name>`) and the VM's own
 * writable copy of it (`rfrw-<name>`). The fw_cfg entry `opt/runner-fleet/caches` lists one cache
 * a line, `<name> <guest path>`. The guest init mounts the read-only disk at the path at boot; a
 * job that may publish (`mayPublishCaches`) gets the writable one mounted there instead.
 *
 * Who may publish is decided twice from the same rule: in the guest, only so that a PR job's
 * writes fail at once; on the host, from GitHub's record of the run, which is what counts: the
 * controller promotes a VM's writable disk only for a publishing run whose job succeeded.
 */

export const cachesFwCfgName = "opt/runner-fleet/caches";

/** virtio-blk serials are at most 20 bytes: 5 for the prefix, 15 for the name. */
export const cacheNamePattern = /^[a-z0-9][a-z0-9-]{0,14}$/;

export function cacheDiskSerial(name: string, access: "ro" | "rw"): string {
  return `rf${access}-${name}`;
}

/** The fw_cfg text: one `<name> <path>` line per cache (names and paths hold no blanks). */
export function renderCacheMap(caches: readonly { name: string; path: string }[]): string {
  return caches.map((c) => `${c.name} ${c.path}\n`).join("");
}

/**
 * The guest's request to its init (root) once the job is known: a FIFO the init reads once,
 * `publish` or `read`, answered by creating `cacheRequestDone`. Absent when the VM has no caches.
 */
export const cacheRequestFifo = "/run/runner-fleet/cache-request";
export const cacheRequestDone = "/run/runner-fleet/cache-request.done";

/** Events whose runs execute the default branch's own code, as pushed by someone with write access. */
const publishingEvents: ReadonlySet<string> = new Set(["push", "schedule", "workflow_dispatch"]);

export interface PublishContext {
  /** The run's event (`push`, `pull_request`, ...). */
  event: string;
  /** The branch the run's code comes from (null: unknown). */
  headBranch: string | null;
  /** The repository's default branch (null: unknown). */
  defaultBranch: string | null;
  /** The code comes from the repository itself, not a fork (false: a fork's run). */
  sameRepository: boolean;
}

/** Save on the default branch only; every other run (pull requests above all) only reads. */
export function mayPublishCaches(run: PublishContext): boolean {
  return (
    publishingEvents.has(run.event) &&
    run.sameRepository &&
    run.headBranch !== null &&
    run.defaultBranch !== null &&
    run.headBranch === run.defaultBranch
  );
}
