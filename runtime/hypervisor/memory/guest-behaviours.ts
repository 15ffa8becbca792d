/**
 * What a guest of the in-memory hypervisor does once started. The promise a behaviour returns
 * is the guest's life: when it settles, the guest has powered off (domain → shutoff, event).
 * `signal` aborts when the domain is destroyed.
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DomainSpec } from "../../ports/hypervisor.ts";
import { runAgent, type AgentOptions } from "../../guest-agent/agent.ts";
import { jitConfigFwCfgName } from "../../protocol/fw-cfg.ts";
import { channelWaitingLine } from "../../protocol/job-channel.ts";
import { serveJobChannel } from "../../guest-agent/job-channel.ts";
import type { GuestPort } from "./memory-channel.ts";

export interface GuestContext {
  name: string;
  spec: DomainSpec;
  /** fw_cfg entries as QEMU read them at start (the files may already be gone). */
  fwCfg: Map<string, Buffer>;
  /** The guest's end of the job channel, when the domain has one. */
  channel?: GuestPort;
  /** Appends a line to the domain's serial log. */
  console(line: string): void;
  signal: AbortSignal;
  /** True when the guest resumed from a saved state instead of booting. */
  restored: boolean;
}

export type GuestBehaviour = (ctx: GuestContext) => Promise<void>;

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** The default: a guest that runs until it is destroyed. */
export const waitsUntilDestroyed: GuestBehaviour = (ctx) => untilAborted(ctx.signal);

/** A guest that hangs in boot: silent console, never a runner, runs until destroyed. */
export const neverBoots: GuestBehaviour = (ctx) => untilAborted(ctx.signal);

/** A guest that powers off by itself after `ms` (or earlier, destroyed). */
export function powersOffAfter(ms: number): GuestBehaviour {
  return (ctx) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      ctx.signal.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
}

/**
 * A guest running the real guest agent in-process, as the lab image does: it takes the JIT
 * config from fw_cfg, or else waits for it on the job channel; dials the server the config
 * names, runs one job and powers off. Without either it prints why and powers off at once, like
 * the image's init.
 */
export function runsGuestAgent(options: Pick<AgentOptions, "fetch" | "backoff" | "clock" | "pollWaitSeconds" | "shell"> = {}): GuestBehaviour {
  return async (ctx) => {
    const jitConfig = ctx.fwCfg.get(jitConfigFwCfgName) ?? (ctx.channel ? await jobFromChannel(ctx, ctx.channel) : undefined);
    if (jitConfig === undefined) {
      ctx.console(`runner-fleet-init: no JIT config in fw_cfg ${jitConfigFwCfgName}; powering off`);
      return;
    }
    // Created by the agent only once a job arrives, and removed with it: an idle guest that is
    // destroyed (or a test process that exits) leaves nothing behind.
    const workRoot = join(tmpdir(), `rf-guest-${ctx.name}-${randomBytes(4).toString("hex")}`);
    try {
      const result = await runAgent({
        ...options,
        jitConfig: jitConfig.toString("utf8"),
        console: (line) => ctx.console(line),
        signal: ctx.signal,
        workRoot,
        cleanWorkFolder: true,
      });
      ctx.console(`runner-fleet-init: agent exited with ${result.exitCode}; powering off`);
    } finally {
      await rm(workRoot, { recursive: true, force: true });
    }
  };
}

/** Waits on the channel as the image's agent does; undefined if the guest is destroyed first. */
async function jobFromChannel(ctx: GuestContext, port: GuestPort): Promise<Buffer | undefined> {
  const endpoint = port.open();
  const onAbort = () => endpoint.close();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  ctx.console(channelWaitingLine);
  try {
    const job = await serveJobChannel(endpoint, { job: async () => undefined }, (line) => ctx.console(line));
    return Buffer.from(job.jitConfig, "utf8");
  } catch (error) {
    if (ctx.signal.aborted) return undefined;
    ctx.console(`runner-fleet agent: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    endpoint.close();
  }
}
