/**
 * The host → guest job channel: a virtio-serial port named `org.runnerfleet.job.0`, which QEMU
 * exposes on the host as a unix socket (created by libvirtd in a root-only directory) and the
 * guest kernel as /dev/vportNpM (root only, no udev). It carries what a guest must not have in
 * its image or its snapshot: the JIT config of a claimed job (and, for restored guests, the
 * network and clock data).
 *
 * Newline-delimited JSON, one object per line, at most `maxLineBytes`:
 *
 *   host → guest  {"type":"job","id":"<unique>","jitConfig":"<encoded JIT config>"}
 *                 {"type":"<other>","id":"<unique>",...}   (more types: add a handler in the guest)
 *   guest → host  {"type":"ack","id":"<the message's id>","ok":true}
 *                 {"type":"ack","id":"<the message's id>","ok":false,"error":"<why>"}
 *
 * A virtio-serial port drops what arrives before the guest opens it, so the host resends the
 * same line (same id) until its ack arrives; the guest applies each id once and answers a repeat
 * with the ack it gave the first time. A line the guest cannot parse (the tail of a message cut
 * by the port opening) is ignored; a message of a type the guest does not know is refused in its
 * ack. A guest takes one `job` message ever: once it has acked one, it closes its end and
 * answers nothing more.
 */
import * as z from "zod/mini";

/** The port's name: /dev/virtio-ports/<name> under udev, /sys/class/virtio-ports/vport*\/name without. */
export const jobChannelName = "org.runnerfleet.job.0";

/** What the guest prints on its console once it waits on the channel (the controller reads it). */
export const channelWaitingLine = "runner-fleet agent: waiting for a job on the channel";

/** Longer lines are not messages (a JIT config is a few KiB). */
export const maxLineBytes = 64 * 1024;

export interface JobMessage {
  type: "job";
  id: string;
  /** The encoded JIT config: a secret, never logged or written to disk. */
  jitConfig: string;
}

/** Any host → guest message: a `type`, an `id`, and fields of its own. */
export interface HostMessage {
  type: string;
  id: string;
  [field: string]: unknown;
}

export type GuestAck = { type: "ack"; id: string; ok: true } | { type: "ack"; id: string; ok: false; error: string };

const hostMessage = z.looseObject({ type: z.string().check(z.minLength(1)), id: z.string().check(z.minLength(1)) });
const jobMessage = z.object({ type: z.literal("job"), id: z.string().check(z.minLength(1)), jitConfig: z.string().check(z.minLength(1)) });
const guestAck = z.union([
  z.object({ type: z.literal("ack"), id: z.string(), ok: z.literal(true) }),
  z.object({ type: z.literal("ack"), id: z.string(), ok: z.literal(false), error: z.string() }),
]);

export function encodeLine(message: HostMessage | GuestAck): string {
  return `${JSON.stringify(message)}\n`;
}

/** A host message from one line, or undefined for anything else (never throws: lines may be cut). */
export function parseHostMessage(line: string): HostMessage | undefined {
  return parseWith(hostMessage, line) as HostMessage | undefined;
}

/** The job fields of a `job` message, or a reason it is not one. */
export function asJobMessage(message: HostMessage): JobMessage | { error: string } {
  const parsed = jobMessage.safeParse(message);
  return parsed.success ? parsed.data : { error: "a job message needs a non-empty string jitConfig" };
}

export function parseGuestAck(line: string): GuestAck | undefined {
  return parseWith(guestAck, line);
}

function parseWith<T>(schema: z.ZodMiniType<T>, line: string): T | undefined {
  if (Buffer.byteLength(line, "utf8") > maxLineBytes) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Splits a byte stream into lines; keeps an unfinished line for the next chunk, drops over-long ones. */
export class LineSplitter {
  private pending = "";

  push(chunk: string): string[] {
    const parts = (this.pending + chunk).split("\n");
    this.pending = parts.pop() ?? "";
    if (Buffer.byteLength(this.pending, "utf8") > maxLineBytes) this.pending = "";
    return parts.filter((line) => line.trim() !== "");
  }
}
