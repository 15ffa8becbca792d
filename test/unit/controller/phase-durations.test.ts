import { describe, expect, it } from "vitest";
import { controllerOverheadMs, phaseDurations, qemuStartMs, queueWaitMs } from "../../../runtime/controller/phase-durations.ts";

const times = { noticed: 940, requested: 1000, jit: 1080, overlay: 1030, defined: 1100, started: 1600, online: 9600, assigned: 9700, finished: 11_700, poweredOff: 12_900, tornDown: 13_000 };

describe("phase durations", () => {
  it("times each phase; JIT and overlay both run from the request", () => {
    expect(phaseDurations(times)).toEqual({ intake: 60, jit: 80, overlay: 30, define: 20, start: 500, boot: 8000, idle: 100, run: 2000, poweroff: 1200, teardown: 100 });
  });

  it("counts as controller overhead everything from the webhook or poll to the running domain, QEMU's start shown beside it", () => {
    expect(controllerOverheadMs(times)).toBe(60 + 100 + 500);
    expect(qemuStartMs(times)).toBe(500);
    expect(controllerOverheadMs({ ...times, noticed: undefined })).toBe(600);
    expect(controllerOverheadMs({ ...times, started: undefined })).toBeUndefined();
  });

  it("times a VM torn down while running from the teardown decision", () => {
    const cut = { requested: 0, jit: 10, overlay: 5, defined: 20, started: 30, online: 40, assigned: 50, finished: 90, tornDown: 140 };
    expect(phaseDurations(cut)).toMatchObject({ run: 40, teardown: 50 });
    expect(phaseDurations(cut).poweroff).toBeUndefined();
    expect(controllerOverheadMs(cut)).toBe(30);
  });

  it("measures queue wait from GitHub's queued time to the start on our runner", () => {
    expect(queueWaitMs(times, { queuedAt: 9000 })).toBe(700);
    expect(queueWaitMs(times, undefined)).toBeUndefined();
    expect(queueWaitMs({ requested: 0 }, { queuedAt: 5 })).toBeUndefined();
  });
});
