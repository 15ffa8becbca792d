/**
 * The guest's side of `runtime/protocol/restore-messages.ts`: handlers for the job channel that
 * turn a guest resumed from a snapshot into a VM of its own before its job arrives. They run in
 * the agent while it is still root (before it becomes the runner's user for the job).
 *
 * - identity: a new /etc/machine-id; a new boot id where the runner reads it (the kernel's
 *   /proc/sys/kernel/random/boot_id is fixed per boot and read-only, so a file with the new id
 *   is bind-mounted over it); the host's seed written into /dev/urandom (mixed in, on top of the
 *   reseed the kernel does when it sees the VM generation id change).
 * - network: the VM's own MAC on eth0 (virtio-net lets the guest set it), then its own address
 *   (guest/net-apply, or a DHCP lease when the host sends no address).
 * - clock: the host's time, set with GNU date (millisecond resolution).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFile } from "node:fs/promises";
import { channelWaitingLine } from "../protocol/job-channel.ts";
import { clockMessage, identityMessage, networkMessage } from "../protocol/restore-messages.ts";

const run = promisify(execFile);

/** What the handlers do to the system; injected so the decisions are testable without root. */
export interface GuestSystem {
  exec(file: string, args: readonly string[]): Promise<void>;
  writeFile(path: string, data: string | Buffer, mode: number): Promise<void>;
  now(): number;
}

export const realGuestSystem: GuestSystem = {
  async exec(file, args) {
    await run(file, [...args], { timeout: 30_000 });
  },
  writeFile: (path, data, mode) => writeFile(path, data, { mode }),
  now: () => Date.now(),
};

type Handler = (message: Record<string, unknown>) => Promise<void>;

export const guestPaths = {
  machineId: "/etc/machine-id",
  bootIdFile: "/run/runner-fleet-boot-id",
  kernelBootId: "/proc/sys/kernel/random/boot_id",
  netApply: "/usr/sbin/runner-fleet-net-apply",
  udhcpcScript: "/usr/share/runner-fleet/udhcpc.script",
} as const;

/** The handlers, by message type. `say` gets no message contents, only what was done. */
export function restoreHandlers(system: GuestSystem, say: (line: string) => void, iface = "eth0"): Record<string, Handler> {
  return {
    async identity(message) {
      const m = identityMessage.parse(message);
      await system.writeFile(guestPaths.machineId, `${m.machineId}\n`, 0o444);
      await system.writeFile(guestPaths.bootIdFile, `${m.bootId}\n`, 0o444);
      await system.exec("busybox", ["mount", "--bind", guestPaths.bootIdFile, guestPaths.kernelBootId]);
      await system.writeFile("/dev/urandom", Buffer.from(m.seed, "base64"), 0o666);
      say("runner-fleet agent: restored: new machine id, boot id and RNG seed");
    },
    async network(message) {
      const m = networkMessage.parse(message);
      await system.exec("busybox", ["ip", "link", "set", "dev", iface, "address", m.mac]);
      // The snapshot's neighbours and address belong to the snapshot's guest.
      await system.exec("busybox", ["ip", "neigh", "flush", "dev", iface]);
      if (m.ipv4) {
        const { address, prefix, gateway, dns } = m.ipv4;
        await system.exec(guestPaths.netApply, [`${address}/${prefix}`, gateway, ...dns]);
      } else {
        await system.exec("busybox", ["ip", "addr", "flush", "dev", iface]);
        await system.exec("busybox", ["udhcpc", "-i", iface, "-n", "-q", "-f", "-t", "10", "-T", "1", "-s", guestPaths.udhcpcScript]);
      }
      say(`runner-fleet agent: restored: own MAC and ${m.ipv4 ? "address" : "DHCP lease"} on ${iface}`);
    },
    async clock(message) {
      const m = clockMessage.parse(message);
      const behindMs = m.epochMs - system.now();
      await system.exec("date", ["-u", "-s", `@${(m.epochMs / 1000).toFixed(3)}`]);
      say(`runner-fleet agent: restored: clock set (it was ${behindMs} ms behind the host)`);
      // The clock comes last before a job: from here the restored agent waits for one, as a
      // booted one does after this line (an on-claim VM is seen waiting by it).
      say(channelWaitingLine);
    },
  };
}
