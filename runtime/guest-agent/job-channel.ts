/**
 * The guest's end of the job channel (`runtime/protocol/job-channel.ts`): reads the host's
 * messages, applies each id once through its handler, acks it, and returns once a job has been
 * taken. Knows nothing of devices: the VM's agent reads /dev/vportNpM (`channel-device.ts`), the
 * in-memory hypervisor's guests an in-process endpoint.
 */
import { asJobMessage, encodeLine, parseHostMessage, type GuestAck, type HostMessage, type JobMessage } from "../protocol/job-channel.ts";

export interface ChannelEndpoint {
  /** Lines from the host, as they arrive. */
  lines: AsyncIterable<string>;
  /** Sends one line to the host. */
  write(line: string): Promise<void>;
}

/** Applies one message (throws to refuse it: the error's message goes back in the ack). */
export type MessageHandler = (message: HostMessage) => Promise<void>;

export interface ChannelHandlers {
  /** Starts the runner with the job's JIT config; the ack says it started. */
  job: (job: JobMessage) => Promise<void>;
  /** Other message types (network, clock, ...). */
  [type: string]: MessageHandler | ((job: JobMessage) => Promise<void>);
}

export class JobRefusedError extends Error {}

/**
 * Serves the channel until a job has been started. Returns that job; throws if the channel ends
 * without one, or if starting the job failed (after the error ack). Message contents are never
 * printed: `say` gets types and ids only.
 */
export async function serveJobChannel(endpoint: ChannelEndpoint, handlers: ChannelHandlers, say: (line: string) => void): Promise<JobMessage> {
  const answered = new Map<string, GuestAck>();
  for await (const line of endpoint.lines) {
    const message = parseHostMessage(line);
    if (message === undefined) continue;
    const earlier = answered.get(message.id);
    if (earlier) {
      await endpoint.write(encodeLine(earlier));
      continue;
    }
    const { ack, job, failure } = await apply(message, handlers);
    answered.set(message.id, ack);
    say(`runner-fleet agent: channel message ${message.type} ${message.id}: ${ack.ok ? "applied" : `refused: ${ack.error}`}`);
    await endpoint.write(encodeLine(ack));
    if (failure) throw failure;
    if (job) return job;
  }
  throw new JobRefusedError("the job channel closed before a job arrived");
}

async function apply(message: HostMessage, handlers: ChannelHandlers): Promise<{ ack: GuestAck; job?: JobMessage; failure?: Error }> {
  const refuse = (error: string): { ack: GuestAck } => ({ ack: { type: "ack", id: message.id, ok: false, error } });
  if (message.type === "job") {
    const job = asJobMessage(message);
    if ("error" in job) return refuse(job.error);
    try {
      await handlers.job(job);
    } catch (error) {
      // The runner could not start: say so, and let the guest power off.
      const failure = error instanceof Error ? error : new Error(String(error));
      return { ...refuse(`the runner did not start: ${failure.message}`), failure };
    }
    return { ack: { type: "ack", id: message.id, ok: true }, job };
  }
  const handler = handlers[message.type] as MessageHandler | undefined;
  if (!handler) return refuse(`unknown message type ${JSON.stringify(message.type)}`);
  try {
    await handler(message);
  } catch (error) {
    return refuse(error instanceof Error ? error.message : String(error));
  }
  return { ack: { type: "ack", id: message.id, ok: true } };
}
