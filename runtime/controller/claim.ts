/**
 * JIT on claim, the action: a waiting VM was given a queued job (`claim-plan.ts`, already in its
 * record). Request a JIT config for exactly that job's labels, under the VM's name, and hand it to
 * the guest over the job channel. The config lives only in this call's memory: no file, no log.
 * Any failure tears the VM down and is counted (`jit_error`, or `start_error` when the guest did
 * not take it); the job stays queued and the next pass gives it to another VM.
 */
import type { ControllerContext } from "./context.ts";
import { vmPaths } from "./naming.ts";
import { teardown } from "./teardown.ts";
import type { TeardownReason, VmRecord } from "./vm-record.ts";

/** How long the guest has to ack its JIT config (it is already waiting on the channel). */
export const handoverTimeoutMs = 15_000;

export async function handOverClaim(ctx: ControllerContext, claimed: VmRecord): Promise<void> {
  const { config, clock, github, hypervisor } = ctx;
  const job = claimed.claimedJob;
  if (!job) throw new Error(`VM ${claimed.name} has no claimed job`);
  const record: VmRecord = { ...claimed, times: { ...claimed.times } };
  const log = ctx.logger.child({ runner: record.name, pool: record.pool, jobId: job.id });
  let failedStep: TeardownReason = "jit_error";
  try {
    const jit = await github.generateJitConfig({ name: record.name, labels: job.labels, runnerGroupId: config.github.runnerGroupId });
    record.runnerId = jit.runnerId;
    record.times.jit = clock.now();
    // The runner id is on disk before anything else can fail: it is how the registration is removed.
    await ctx.records.put(record);
    failedStep = "start_error";
    await hypervisor.sendToGuest(vmPaths(config.paths.state, record.name).channel, { type: "job", id: `${record.name}/${job.id}`, jitConfig: jit.encodedJitConfig }, { timeoutMs: handoverTimeoutMs });
    record.times.handedOut = clock.now();
    await ctx.records.put(record);
    log.info({ event: "job_handed_out", runnerId: jit.runnerId, runId: job.runId }, "JIT config handed to a waiting VM");
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    log.warn({ event: "claim_failed", step: failedStep, err: detail }, "handing out the job failed; tearing down");
    await teardown(ctx, { ...record, phase: "tearing-down", teardown: { reason: failedStep, detail, at: clock.now() } });
  }
}
