import { describe, expect, it } from "vitest";
import { queueSamplesOf, type QueueSample } from "../../../runtime/guard/evidence.ts";
import { latestQueueSamples, queueWaitP95, queueWaitTrigger } from "../../../runtime/guard/queue-wait.ts";
import { ended, minute, ranJob, status, t0 } from "./fixtures.ts";

const done = (i: number, waitS: number): QueueSample => ({ key: `acme/app#${i}`, queuedAt: t0 + i * 1000, waitMs: waitS * 1000, waiting: false, at: t0 + i * 1000 + waitS * 1000 });
const options = { jobs: 10, limitSeconds: 120 };

describe("queue wait trigger", () => {
  it("trips when the p95 of the latest 10 is over 120 s, not at exactly 120 s", () => {
    const fast = Array.from({ length: 9 }, (_, i) => done(i + 1, 10));
    expect(queueWaitTrigger([...fast, done(10, 120)], options)).toBeUndefined();
    const trigger = queueWaitTrigger([...fast, done(10, 121)], options);
    expect(trigger?.kind).toBe("queue-wait");
    expect(trigger?.message).toBe("p95 queue wait 121 s over the latest 10 trusted jobs exceeds 120 s");
  });

  it("looks only at the latest 10 jobs by queue time", () => {
    const old = done(0, 500);
    const recent = Array.from({ length: 10 }, (_, i) => done(i + 1, 5));
    expect(latestQueueSamples([old, ...recent], 10)).not.toContainEqual(old);
    expect(queueWaitTrigger([old, ...recent], options)).toBeUndefined();
    expect(queueWaitTrigger([old, ...recent.slice(1)], options)).toBeDefined();
  });

  it("counts jobs still waiting with their age, so a stuck queue trips it before any job starts", () => {
    const waiting: QueueSample = { key: "acme/app#99", queuedAt: t0, waitMs: 130_000, waiting: true, at: t0 + 130_000 };
    const trigger = queueWaitTrigger([waiting], options);
    expect(trigger?.message).toBe("p95 queue wait 130 s over the latest 1 trusted jobs, 1 still waiting exceeds 120 s");
  });

  it("ignores finished waits measured before the last routing change, but never jobs still waiting", () => {
    const slow = done(1, 300);
    expect(queueWaitTrigger([slow], { ...options, since: slow.at + 1 })).toBeUndefined();
    expect(queueWaitTrigger([slow], { ...options, since: slow.at })).toBeDefined();
    const stuck: QueueSample = { ...slow, waiting: true };
    expect(queueWaitTrigger([stuck], { ...options, since: slow.at + 1 })).toBeDefined();
  });

  it("has nothing to say without samples", () => {
    expect(queueWaitP95([], 10)).toEqual({ p95Ms: undefined, jobs: 0, waiting: 0 });
    expect(queueWaitTrigger([], options)).toBeUndefined();
  });

  it("reads waits out of a status document, leaving out refused jobs and VMs without a job", () => {
    const doc = status({
      now: t0,
      history: [
        ranJob("rf-h1-small-00000001", { requested: t0 - 10 * minute, online: t0 - 9 * minute, queuedAt: t0 - 8 * minute, assigned: t0 - 7 * minute, jobId: 1 }),
        ended("rf-h1-small-00000002", "untrusted", { requested: t0 - 6 * minute, online: t0 - 5 * minute, assigned: t0 - 4 * minute }, { job: { id: 2, repository: "acme/app", queuedAt: t0 - 5 * minute } }),
        ended("rf-h1-small-00000003", "scale_down", { requested: t0 - 6 * minute, online: t0 - 5 * minute }),
      ],
      records: [
        { name: "rf-h1-small-00000004", pool: "small", phase: "busy", times: { requested: t0 - 3 * minute, online: t0 - 2 * minute, assigned: t0 - minute }, job: { id: 4, repository: "acme/app", queuedAt: t0 - 4 * minute } },
      ],
    });
    expect(queueSamplesOf([doc])).toEqual([
      { key: "acme/app#1", queuedAt: t0 - 8 * minute, waitMs: minute, waiting: false, at: t0 - 7 * minute },
      { key: "acme/app#4", queuedAt: t0 - 4 * minute, waitMs: 3 * minute, waiting: false, at: t0 - minute },
    ]);
  });
});
