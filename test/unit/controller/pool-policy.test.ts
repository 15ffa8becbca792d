import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { sizePool, type PoolCounts } from "../../../runtime/controller/pool-policy.ts";
import { poolTarget, type PoolConfig } from "../../../runtime/config/controller-config.ts";

const pool = (min: number, max: number, target?: number): PoolConfig => ({
  name: "small",
  labels: ["self-hosted", "linux", "x64"],
  min,
  max,
  vcpus: 1,
  memoryMiB: 512,
  ...(target === undefined ? {} : { target }),
});
const counts = (c: Partial<PoolCounts> = {}): PoolCounts => ({ provisioning: 0, booting: 0, idle: 0, busy: 0, ...c });

describe("poolTarget", () => {
  it("defaults to min and is clamped to [min, max]", () => {
    expect(poolTarget(pool(2, 5))).toBe(2);
    expect(poolTarget(pool(2, 5, 4))).toBe(4);
    expect(poolTarget(pool(2, 5, 9))).toBe(5);
    expect(poolTarget(pool(2, 5, 0))).toBe(2);
  });
});

describe("sizePool", () => {
  it("fills an empty pool to its warm target", () => {
    expect(sizePool(pool(1, 4, 2), counts(), 0)).toEqual({ desired: 2, provision: 2, surplusIdle: 0 });
  });

  it("counts booting VMs as able to serve queued jobs (no double provisioning)", () => {
    expect(sizePool(pool(0, 10), counts({ booting: 3 }), 3).provision).toBe(0);
    expect(sizePool(pool(0, 10), counts({ booting: 3 }), 5).provision).toBe(2);
  });

  it("refills the warm floor once the warm VM is busy", () => {
    expect(sizePool(pool(1, 4), counts({ busy: 1 }), 0)).toEqual({ desired: 2, provision: 1, surplusIdle: 0 });
  });

  it("never exceeds max, even with a large queue", () => {
    expect(sizePool(pool(1, 4), counts({ busy: 3 }), 50)).toEqual({ desired: 4, provision: 1, surplusIdle: 0 });
    expect(sizePool(pool(1, 4), counts({ busy: 4 }), 50).provision).toBe(0);
  });

  it("reports idle VMs beyond the need as surplus", () => {
    expect(sizePool(pool(1, 4), counts({ idle: 3 }), 0).surplusIdle).toBe(2);
    expect(sizePool(pool(1, 4), counts({ idle: 3 }), 2).surplusIdle).toBe(1);
    // Only idle VMs can be surplus, never booting ones.
    expect(sizePool(pool(0, 4), counts({ booting: 2, idle: 1 }), 0).surplusIdle).toBe(1);
  });

  it("keeps its invariants for any pool, counts and queue", () => {
    const arbitraryPool = fc
      .record({ min: fc.nat(5), extra: fc.nat(5), target: fc.option(fc.nat(12), { nil: undefined }) })
      .map(({ min, extra, target }) => pool(min, Math.max(1, min + extra), target));
    const arbitraryCounts = fc.record({ provisioning: fc.nat(4), booting: fc.nat(4), idle: fc.nat(4), busy: fc.nat(8) });
    fc.assert(
      fc.property(arbitraryPool, arbitraryCounts, fc.nat(30), (p, c, queued) => {
        const live = c.provisioning + c.booting + c.idle + c.busy;
        const s = sizePool(p, c, queued);
        expect(s.provision).toBeGreaterThanOrEqual(0);
        expect(s.desired).toBeLessThanOrEqual(p.max);
        if (live <= p.max) expect(live + s.provision).toBeLessThanOrEqual(p.max);
        expect(s.surplusIdle).toBeLessThanOrEqual(c.idle);
        // Never provision and scale down in the same breath.
        expect(s.provision === 0 || s.surplusIdle === 0).toBe(true);
        // The warm floor is kept whenever max allows it.
        if (c.busy + poolTarget(p) <= p.max) expect(live + s.provision - s.surplusIdle - c.busy).toBeGreaterThanOrEqual(poolTarget(p));
      }),
    );
  });
});
