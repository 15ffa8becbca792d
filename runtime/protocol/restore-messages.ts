/**
 * What a guest restored from a snapshot is told over the job channel before its JIT config, so
 * that it stops being a copy of the snapshot's guest (every restore of one snapshot resumes the
 * same memory: machine id, boot id, RNG state, clock, MAC and address):
 *
 *   {"type":"identity","id":…,"machineId":"<32 hex>","bootId":"<uuid>","seed":"<base64, 32 bytes>"}
 *   {"type":"clock","id":…,"epochMs":<the host's time when sent>}
 *   {"type":"network","id":…,"mac":"52:54:00:…","ipv4":{address,prefix,gateway,dns}}   (ipv4 absent: DHCP)
 *
 * None of it is secret: the JIT config is the only secret and comes last, in the `job` message.
 * Pure: the schemas and the host's side of making them.
 */
import { randomBytes, randomUUID } from "node:crypto";
import * as z from "zod/mini";

const hex32 = /^[0-9a-f]{32}$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const mac = /^52:54:00(:[0-9a-f]{2}){3}$/;
const ipv4 = /^(\d{1,3}\.){3}\d{1,3}$/;

export const identityMessage = z.object({
  type: z.literal("identity"),
  id: z.string(),
  machineId: z.string().check(z.regex(hex32)),
  bootId: z.string().check(z.regex(uuid)),
  seed: z.string().check(z.regex(/^[A-Za-z0-9+/]{43}=$/)),
});
export const clockMessage = z.object({ type: z.literal("clock"), id: z.string(), epochMs: z.number().check(z.int(), z.positive()) });
export const networkMessage = z.object({
  type: z.literal("network"),
  id: z.string(),
  mac: z.string().check(z.regex(mac)),
  ipv4: z.optional(
    z.object({
      address: z.string().check(z.regex(ipv4)),
      prefix: z.number().check(z.int(), z.gte(8), z.lte(30)),
      gateway: z.string().check(z.regex(ipv4)),
      dns: z.array(z.string().check(z.regex(ipv4))),
    }),
  ),
});

export type IdentityMessage = z.infer<typeof identityMessage>;
export type ClockMessage = z.infer<typeof clockMessage>;
export type NetworkMessage = z.infer<typeof networkMessage>;
export type RestoreMessage = IdentityMessage | ClockMessage | NetworkMessage;

/** A fresh identity: what a booted guest would have made for itself. */
export function newIdentity(id: string): IdentityMessage {
  return {
    type: "identity",
    id,
    machineId: randomBytes(16).toString("hex"),
    bootId: randomUUID(),
    seed: randomBytes(32).toString("base64"),
  };
}

/** The clock message: made right before it is sent, so the time it carries is fresh. */
export function clockNow(name: string, epochMs: number): ClockMessage {
  return { type: "clock", id: `${name}-clock-${epochMs}`, epochMs };
}
/** The messages a restored guest gets, in order, before the clock and its job. */
export function restoreMessages(name: string, network: Omit<NetworkMessage, "type" | "id">): RestoreMessage[] {
  return [newIdentity(`${name}-identity`), { type: "network", id: `${name}-network`, ...network }];
}

/** A random locally administered unicast MAC in QEMU's 52:54:00 range (libvirt's default prefix). */
export function randomMac(bytes: Uint8Array = randomBytes(3)): string {
  const tail = [...bytes.slice(0, 3)].map((b) => b.toString(16).padStart(2, "0"));
  return `52:54:00:${tail.join(":")}`;
}
