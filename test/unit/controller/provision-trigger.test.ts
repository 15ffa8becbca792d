import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { provisionNoticedAt } from "../../../runtime/controller/provision-trigger.ts";

describe("provisionNoticedAt", () => {
  it.each([
    { name: "cold: each VM from its queued job, oldest first", queued: [30, 10, 20], spare: 0, busy: [], count: 3, want: [10, 20, 30] },
    { name: "spare VMs take the oldest jobs", queued: [30, 10, 20], spare: 2, busy: [], count: 1, want: [30] },
    { name: "a warm VM's replacement: when it was seen taking its job", queued: [], spare: 0, busy: [50], count: 1, want: [50] },
    { name: "refills take the latest jobs taken first", queued: [], spare: 0, busy: [50, 70, 60], count: 2, want: [70, 60] },
    { name: "jobs first, then refills", queued: [40], spare: 0, busy: [50], count: 2, want: [40, 50] },
    { name: "the floor at start-up: now", queued: [], spare: 0, busy: [], count: 2, want: [100, 100] },
  ])("$name", ({ queued, spare, busy, count, want }) => {
    expect(provisionNoticedAt({ queuedSeenAt: queued, spare, busySeenAt: busy, count, now: 100 })).toEqual(want);
  });

  it("gives one instant per VM, none later than now when every input is", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(100)), fc.nat(5), fc.array(fc.nat(100)), fc.nat(6), (queued, spare, busy, count) => {
        const out = provisionNoticedAt({ queuedSeenAt: queued, spare, busySeenAt: busy, count, now: 100 });
        expect(out).toHaveLength(count);
        expect(out.every((t) => t <= 100)).toBe(true);
      }),
    );
  });
});
