import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fleetShares, labelKey, spread } from "../../../runtime/controller/fleet-pools.ts";
import type { PoolConfig } from "../../../runtime/config/controller-config.ts";
import type { HostPoolFacts, HostView } from "../../../runtime/ports/coordination.ts";

const pool: PoolConfig = { name: "small", labels: ["self-hosted", "Linux"], min: 3, max: 8, vcpus: 1, memoryMiB: 512 };

function facts(idle: number, busy: number, freeSlots: number, labels = ["linux", "self-hosted"]): HostPoolFacts {
  return { name: "small", labels, min: 3, max: 8, idle, busy, starting: 0, freeSlots };
}

function host(name: string, pools: HostPoolFacts[], online = true): HostView {
  return { host: name, version: "t", capacity: { vcpus: 4, memoryMiB: 4096 }, free: { vcpus: 4, memoryMiB: 4096 }, pools, draining: false, seenAt: 0, online };
}

describe("spread", () => {
  it.each([
    [3, { a: 1, b: 1, c: 1 }, { a: 1, b: 1, c: 1 }],
    [2, { a: 1, b: 1, c: 1 }, { a: 1, b: 1, c: 0 }],
    [5, { a: 4, b: 1, c: 0 }, { a: 4, b: 1, c: 0 }],
    [1, { a: 0, b: 0 }, { a: 0, b: 0 }],
    [0, { a: 3 }, { a: 0 }],
  ])("%i over %o", (total, weights, expected) => {
    expect(Object.fromEntries(spread(total, new Map(Object.entries(weights))))).toEqual(expected);
  });

  it("hands out exactly the total whenever some host has room, and every host computes the same split", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.integer({ min: 0, max: 9 })), (total, weights) => {
        const map = new Map(Object.entries(weights));
        const shares = spread(total, map);
        const sum = [...shares.values()].reduce((s, n) => s + n, 0);
        const room = [...map.values()].some((w) => w > 0);
        expect(sum).toBe(room ? total : 0);
        expect(spread(total, new Map([...map].reverse()))).toEqual(shares);
      }),
    );
  });
});

describe("fleet shares", () => {
  it("gives no warm VMs before the fleet was read once", () => {
    expect(fleetShares([pool], "h1", [facts(0, 0, 4)], undefined)).toEqual([{ ...pool, min: 0, target: 0 }]);
  });

  it.each([
    ["alone", [] as HostView[], { min: 3, target: 3, max: 8 }],
    ["three equal hosts", [host("h2", [facts(0, 0, 4)]), host("h3", [facts(0, 0, 4)])], { min: 1, target: 1, max: 8 }],
    ["others busy: max less what they run", [host("h2", [facts(1, 3, 0)]), host("h3", [facts(0, 2, 2)])], { min: 2, target: 2, max: 2 }],
    ["offline hosts and other label sets do not count", [host("h2", [facts(0, 5, 4)], false), host("h3", [facts(0, 5, 4, ["gpu"])])], { min: 3, target: 3, max: 8 }],
  ])("%s", (_what, others, expected) => {
    const [shared] = fleetShares([pool], "h1", [facts(0, 0, 4)], [host("h1", [facts(9, 9, 9)]), ...others]);
    expect({ min: shared!.min, target: shared!.target, max: shared!.max }).toEqual(expected);
  });

  it("keys label sets without regard to case or order", () => {
    expect(labelKey(["Self-Hosted", "linux", "LINUX"])).toBe(labelKey(["linux", "self-hosted"]));
  });
});
