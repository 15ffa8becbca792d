/**
 * Starting a runner VM from its pool's snapshot instead of booting it (pool `start: restore`):
 * restore the saved guest under the VM's own name, disk, console, MAC and UUID with a fresh VM
 * generation id, then tell it over the job channel who it is now (machine id, boot id, RNG
 * seed), its own MAC and address, the time, and last its JIT config. The guest's agent takes the
 * job only then; one job per guest, as with a booted one.
 *
 * Where a restore cannot be done (no snapshot yet, or the restore fails before the JIT config
 * was sent) the VM boots instead: logged and counted in runner_fleet_restore_fallbacks_total.
 */
import type { PoolConfig } from "../config/controller-config.ts";
import type { DomainSpec } from "../ports/hypervisor.ts";
import { guestNetworkConfig } from "../protocol/guest-network.ts";
import { clockNow, randomMac, restoreMessages, type NetworkMessage } from "../protocol/restore-messages.ts";
import type { ControllerContext } from "./context.ts";
import { crashPoint } from "./crash-points.ts";
import { domainSpecFor } from "./domain-spec.ts";
import type { VmPaths } from "./naming.ts";
import { readySnapshot, restores, type Snapshot } from "./snapshot-store.ts";
import type { VmRecord } from "./vm-record.ts";

/** Per message; a restored guest's agent is already running and answers in milliseconds. */
const messageTimeoutMs = 15_000;

export const fallbackReasons = ["no_snapshot", "restore_failed"] as const;
export type FallbackReason = (typeof fallbackReasons)[number];

/** The pool's snapshot when the pool restores and one is ready; otherwise undefined, the fallback counted. */
export async function snapshotToRestore(ctx: ControllerContext, pool: PoolConfig, runner: string): Promise<Snapshot | undefined> {
  if (!restores(ctx, pool)) return undefined;
  const snapshot = await readySnapshot(ctx, pool).catch(() => undefined);
  if (!snapshot) fallBack(ctx, pool, runner, "no_snapshot", "no snapshot is ready for this pool yet");
  return snapshot;
}

export function fallBack(ctx: ControllerContext, pool: PoolConfig, runner: string, reason: FallbackReason, detail: string): void {
  ctx.metrics.restoreFallbacks.inc({ pool: pool.name, reason });
  ctx.logger.info({ event: "restore_fallback", runner, pool: pool.name, reason, detail }, "booting instead of restoring");
}

/** The spec a restored VM runs with: the booted VM's, without fw_cfg, with the channel and a MAC of its own. */
export function restoredSpec(ctx: ControllerContext, pool: PoolConfig, name: string, paths: VmPaths, now: number, address?: string): DomainSpec {
  return { ...domainSpecFor(ctx.config, pool, name, paths, now, address), fwCfg: [], jobChannel: paths.channel, mac: randomMac() };
}

/** The VM's own IPv4 configuration when it has a static address (address-allocator.ts); else DHCP. */
function ownNetwork(ctx: ControllerContext, spec: DomainSpec): NetworkMessage["ipv4"] {
  const { subnet } = ctx.config.network;
  if (spec.network.ip === undefined || subnet === undefined) return undefined;
  const config = guestNetworkConfig(subnet, spec.network.ip);
  return { ...config, dns: [...config.dns] };
}

/**
 * Restores the VM (its overlay, on the snapshot's disk, exists) and hands it everything up to
 * its job. Throws RestoreBeforeJobError when it failed before the JIT config left the host (the
 * caller may boot instead); any later error is the VM's own.
 */
export async function restoreVm(ctx: ControllerContext, snapshot: Snapshot, spec: DomainSpec, jitConfig: string | undefined): Promise<void> {
  const { hypervisor, clock } = ctx;
  const socket = spec.jobChannel!;
  try {
    await hypervisor.restoreDomain(snapshot.state, spec);
    await crashPoint("restore:restored");
    const ipv4 = ownNetwork(ctx, spec);
    for (const message of restoreMessages(spec.name, { mac: spec.mac!, ...(ipv4 && { ipv4 }) })) {
      await hypervisor.sendToGuest(socket, message, { timeoutMs: messageTimeoutMs });
    }
    await hypervisor.sendToGuest(socket, clockNow(spec.name, clock.now()), { timeoutMs: messageTimeoutMs });
  } catch (error) {
    throw new RestoreBeforeJobError(error);
  }
  // An on-claim VM gets its job later, from claim.ts, over the same channel.
  if (jitConfig !== undefined) await hypervisor.sendToGuest(socket, { type: "job", id: `${spec.name}-job`, jitConfig }, { timeoutMs: messageTimeoutMs });
}

export class RestoreBeforeJobError extends Error {
  constructor(override readonly cause: unknown) {
    super(`restore failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "RestoreBeforeJobError";
  }
}

/**
 * Provisioning's restore branch (the overlay on the snapshot's disk exists, the JIT config is
 * in hand). True when the VM runs and has its job; false when it fell back before the JIT
 * config left the host: then the VM's overlay is on the base image again and the caller boots it.
 */
export async function startRestored(ctx: ControllerContext, pool: PoolConfig, record: VmRecord, paths: VmPaths, snapshot: Snapshot, jitConfig: string | undefined): Promise<boolean> {
  const { hypervisor, clock } = ctx;
  const spec = restoredSpec(ctx, pool, record.name, paths, clock.now(), record.address);
  // Journaled first: a restored guest that a crash interrupts is torn down, not adopted (it may
  // never have had its JIT config).
  record.startedBy = "restore";
  await ctx.records.put(record);
  try {
    await restoreVm(ctx, snapshot, spec, jitConfig);
  } catch (error) {
    if (!(error instanceof RestoreBeforeJobError)) throw error;
    fallBack(ctx, pool, record.name, "restore_failed", error.message);
    delete record.startedBy;
    await ctx.records.put(record);
    await hypervisor.removeDomain(record.name);
    await hypervisor.removeOverlay(paths.overlay);
    await hypervisor.createOverlay(ctx.config.image.base, paths.overlay, { sizeGiB: pool.diskGiB });
    return false;
  }
  record.times.defined = record.times.started = clock.now();
  record.phase = "booting";
  await ctx.records.put(record);
  ctx.logger.info({ event: "vm_restored", runner: record.name, pool: pool.name, runnerId: record.runnerId, snapshot: snapshot.key }, "runner VM restored");
  return true;
}
