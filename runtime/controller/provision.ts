/**
 * Provisioning one runner VM: JIT config and overlay (together) → secret → domain → start.
 *
 * The record is written before anything is created, so a crash at any point leaves a trail the
 * next reconcile pass follows to clean up. Any failure tears the VM down at once and is counted
 * by the step that failed; the pool's deficit makes the next pass try again (within backoff).
 */
import { rm } from "node:fs/promises";
import type { PoolConfig } from "../config/controller-config.ts";
import { writeFileAtomic } from "../storage/atomic-file.ts";
import type { ControllerContext } from "./context.ts";
import { assignAddress } from "./address-allocator.ts";
import { attachCaches, cacheDomainFields } from "./cache-attach.ts";
import { crashPoint } from "./crash-points.ts";
import { domainSpecFor } from "./domain-spec.ts";
import { assertDevicesReady, placementFor } from "./vm-placement-step.ts";
import { shapeSpecFor } from "./vm-shape.ts";
import { registersOnClaim } from "../config/pool-register-shape.ts";
import { runnerName, vmPaths } from "./naming.ts";
import { snapshotToRestore, startRestored } from "./restore-start.ts";
import { teardown } from "./teardown.ts";
import type { TeardownReason, VmRecord } from "./vm-record.ts";

/** Writes the journal record of a new VM: the first step, before anything exists outside. */
export async function recordNewVm(ctx: ControllerContext, pool: PoolConfig, noticedAt?: number, claim?: VmRecord["claim"]): Promise<VmRecord> {
  const name = runnerName(ctx.config.namePrefix, ctx.config.host.name, pool.name);
  const requested = ctx.clock.now();
  const times = noticedAt === undefined ? { requested } : { noticed: Math.min(noticedAt, requested), requested };
  const address = assignAddress(ctx.config, name, await ctx.records.list());
  const record: VmRecord = {
    name,
    pool: pool.name,
    ...(address !== undefined && { address }),
    phase: "provisioning",
    times,
    ...(await placementFor(ctx, pool)),
    ...(claim ? { claim } : {}),
    ...(registersOnClaim(pool) ? { onClaim: true as const } : {}),
  };
  await ctx.records.put(record);
  await crashPoint("provision:recorded");
  return record;
}

/** Provisions the VM of a record written by `recordNewVm` (or writes one first). */
export async function provision(ctx: ControllerContext, pool: PoolConfig, existing?: VmRecord): Promise<VmRecord> {
  const { config, clock, github, hypervisor } = ctx;
  const record = existing ?? (await recordNewVm(ctx, pool));
  const name = record.name;
  const paths = vmPaths(config.paths.state, name);
  const log = ctx.logger.child({ runner: name, pool: pool.name });

  let failedStep: TeardownReason = "jit_error";
  try {
    const snapshot = await snapshotToRestore(ctx, pool, name);
    // The JIT config (a GitHub round trip) and the overlay (a local qemu-img) do not depend on
    // each other: make them at the same time.
    await fenced(ctx, record);
    // An on-claim VM boots unregistered: its JIT config comes with its job (`claim.ts`).
    const [jitResult, overlayResult] = await Promise.allSettled([
      (registersOnClaim(pool) ? Promise.resolve(undefined) : github.generateJitConfig({ name, labels: pool.labels, runnerGroupId: config.github.runnerGroupId })).then(async (jit) => {
        if (!jit) return undefined;
        record.runnerId = jit.runnerId;
        record.times.jit = clock.now();
        await crashPoint("provision:jit");
        return jit;
      }),
      hypervisor.createOverlay(snapshot?.disk ?? config.image.base, paths.overlay, { sizeGiB: pool.diskGiB }).then(() => {
        record.times.overlay = clock.now();
        return crashPoint("provision:overlay");
      }),
    ]);
    // The runner id must be on disk before anything else can fail: it is how a crash's
    // leftover registration is found again.
    await ctx.records.put(record);
    if (jitResult.status === "rejected") throw jitResult.reason;
    failedStep = "overlay_error";
    if (overlayResult.status === "rejected") throw overlayResult.reason;
    const jit = jitResult.value;
    // Dependency caches: a writable copy each, counted as overlays (the same kind of disk).
    const caches = await attachCaches(ctx, pool, name);
    if (caches.length > 0) {
      record.caches = Object.fromEntries(caches.map((c) => [c.name, c.use]));
      await ctx.records.put(record);
    }

    failedStep = "start_error";
    if (snapshot && (await startRestored(ctx, pool, record, paths, snapshot, jit?.encodedJitConfig))) return record;

    failedStep = "define_error";
    if (jit) {
      await writeFileAtomic(paths.secret, jit.encodedJitConfig, 0o600);
      await crashPoint("provision:secret");
      await hypervisor.shareSecretFile(paths.secret);
    }
    await assertDevicesReady(ctx, pool);
    await hypervisor.defineDomain({ ...domainSpecFor(config, pool, name, paths, clock.now(), record.address), shape: shapeSpecFor(config, pool, ctx.hardware?.facts, record.placement), ...cacheDomainFields(pool, caches) });
    record.times.defined = clock.now();
    await crashPoint("provision:defined");

    failedStep = "start_error";
    await fenced(ctx, record);
    await hypervisor.startDomain(name);
    record.times.started = clock.now();
    await crashPoint("provision:started");
    record.phase = "booting";
    await ctx.records.put(record);
    log.info({ event: "vm_started", runnerId: jit?.runnerId }, jit ? "runner VM started" : "runner VM started; it waits for a job unregistered");
    return record;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const reason = error instanceof LeaseLostError ? "lease_lost" : failedStep;
    log.warn({ event: "provision_failed", step: reason, err: detail }, "provisioning failed; tearing down");
    record.phase = "tearing-down";
    record.teardown = { reason, detail, at: clock.now() };
    await ctx.records.put(record);
    await teardown(ctx, record);
    return record;
  } finally {
    // QEMU read the file when the domain started (or the start failed): it is not needed again.
    await rm(paths.secret, { force: true });
  }
}

class LeaseLostError extends Error {}

/**
 * Fencing in a coordinated fleet: a VM made for a claimed job goes on only while this host
 * still holds the claim (checked before the JIT request and before the start).
 */
async function fenced(ctx: ControllerContext, record: VmRecord): Promise<void> {
  if (!record.claim || !ctx.fleet || (await ctx.fleet.mayProceed(record))) return;
  throw new LeaseLostError(`this host no longer holds its claim on job ${record.claim.jobId}`);
}
