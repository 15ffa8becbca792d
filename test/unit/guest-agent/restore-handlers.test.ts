import { describe, expect, it } from "vitest";
import { guestPaths, restoreHandlers, type GuestSystem } from "../../../runtime/guest-agent/restore-handlers.ts";
import { clockNow, newIdentity } from "../../../runtime/protocol/restore-messages.ts";
import { channelWaitingLine } from "../../../runtime/protocol/job-channel.ts";

function recordingSystem(now = 1_000_000) {
  const calls: string[] = [];
  const files = new Map<string, string | Buffer>();
  const system: GuestSystem = {
    exec: async (file, args) => void calls.push([file, ...args].join(" ")),
    writeFile: async (path, data) => void files.set(path, data),
    now: () => now,
  };
  return { calls, files, system, said: [] as string[] };
}

describe("restore handlers", () => {
  it("identity: a new machine id, a boot id bind-mounted over the kernel's, the seed into /dev/urandom", async () => {
    const r = recordingSystem();
    const identity = newIdentity("vm-identity");
    await restoreHandlers(r.system, (l) => r.said.push(l)).identity!(identity);
    expect(r.files.get(guestPaths.machineId)).toBe(`${identity.machineId}\n`);
    expect(r.files.get(guestPaths.bootIdFile)).toBe(`${identity.bootId}\n`);
    expect(r.calls).toEqual([`busybox mount --bind ${guestPaths.bootIdFile} ${guestPaths.kernelBootId}`]);
    expect((r.files.get("/dev/urandom") as Buffer).toString("base64")).toBe(identity.seed);
    expect(r.said.join("\n")).not.toContain(identity.machineId);
  });

  it.each([
    [{ mac: "52:54:00:01:02:03", ipv4: { address: "10.0.0.9", prefix: 24, gateway: "10.0.0.1", dns: ["10.0.0.1"] } }, `${guestPaths.netApply} 10.0.0.9/24 10.0.0.1 10.0.0.1`],
    [{ mac: "52:54:00:01:02:03" }, "busybox udhcpc -i eth0"],
  ])("network: own MAC first, the snapshot's neighbours dropped, then the address (%o)", async (fields, last) => {
    const r = recordingSystem();
    await restoreHandlers(r.system, () => undefined).network!({ type: "network", id: "n", ...fields });
    expect(r.calls[0]).toBe("busybox ip link set dev eth0 address 52:54:00:01:02:03");
    expect(r.calls[1]).toBe("busybox ip neigh flush dev eth0");
    expect(r.calls.at(-1)).toContain(last);
  });

  it("clock: sets the host's time to the millisecond and says how far behind the guest was", async () => {
    const r = recordingSystem(1_700_000_000_000);
    await restoreHandlers(r.system, (l) => r.said.push(l)).clock!(clockNow("vm", 1_700_000_061_234));
    expect(r.calls).toEqual(["date -u -s @1700000061.234"]);
    expect(r.said).toEqual(["runner-fleet agent: restored: clock set (it was 61234 ms behind the host)", channelWaitingLine]);
  });

  it.each([
    ["identity", { machineId: "short", bootId: "x", seed: "" }],
    ["network", { mac: "aa:bb:cc:dd:ee:ff" }],
    ["network", { mac: "52:54:00:01:02:03", ipv4: { address: "10.0.0.9; reboot", prefix: 24, gateway: "10.0.0.1", dns: [] } }],
    ["clock", { epochMs: -5 }],
  ])("refuses a malformed %s message and runs nothing", async (type, fields) => {
    const r = recordingSystem();
    await expect(restoreHandlers(r.system, () => undefined)[type]!({ type, id: "x", ...fields })).rejects.toThrow();
    expect(r.calls).toEqual([]);
    expect(r.files.size).toBe(0);
  });
});
