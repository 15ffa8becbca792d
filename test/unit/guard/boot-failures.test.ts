import { describe, expect, it } from "vitest";
import { bootFailureTrigger } from "../../../runtime/guard/boot-failures.ts";
import { bootAttemptsOf, controllerEvidence, type BootAttempt } from "../../../runtime/guard/evidence.ts";
import { bootFailed, minute, ranJob, status, t0 } from "./fixtures.ts";

const ok = (host: string, vm: string, at: number): BootAttempt => ({ host, vm, at, ok: true });
const fail = (host: string, vm: string, at: number): BootAttempt => ({ host, vm, at, ok: false, reason: "boot_timeout" });

describe("boot failure trigger", () => {
  it("trips on exactly two consecutive failures, not on one", () => {
    expect(bootFailureTrigger([ok("h1", "a", 1), fail("h1", "b", 2)], { threshold: 2 })).toBeUndefined();
    const trigger = bootFailureTrigger([ok("h1", "a", 1), fail("h1", "b", 2), fail("h1", "c", 3)], { threshold: 2 });
    expect(trigger?.kind).toBe("boot-failures");
    expect(trigger?.message).toContain("host h1: the last 2 runner boots failed (b boot_timeout, c boot_timeout)");
  });

  it("does not count failures a later success ended, nor failures split by a success", () => {
    expect(bootFailureTrigger([fail("h1", "a", 1), fail("h1", "b", 2), ok("h1", "c", 3)], { threshold: 2 })).toBeUndefined();
    expect(bootFailureTrigger([fail("h1", "a", 1), ok("h1", "b", 2), fail("h1", "c", 3)], { threshold: 2 })).toBeUndefined();
  });

  it("judges each host on its own, in time order whatever the input order", () => {
    const attempts = [fail("h2", "x", 5), ok("h1", "a", 2), fail("h1", "b", 3), ok("h2", "w", 1), fail("h2", "y", 4)];
    const trigger = bootFailureTrigger(attempts, { threshold: 2 });
    expect(trigger?.message).toMatch(/^host h2: the last 2 runner boots failed \(y boot_timeout, x boot_timeout\)$/);
  });

  it("ignores attempts before `since` (the last routing change)", () => {
    const attempts = [fail("h1", "a", 10), fail("h1", "b", 20)];
    expect(bootFailureTrigger(attempts, { threshold: 2, since: 15 })).toBeUndefined();
    expect(bootFailureTrigger(attempts, { threshold: 2, since: 10 })).toBeDefined();
  });

  it("reads attempts out of a status document: online VMs succeed, boot and registration failures fail, others do not count", () => {
    const doc = status({
      now: t0,
      history: [
        ranJob("rf-h1-small-00000001", { requested: t0 - 10 * minute, online: t0 - 9 * minute, queuedAt: t0 - 9 * minute, assigned: t0 - 8 * minute, jobId: 1 }),
        bootFailed("rf-h1-small-00000002", t0 - 5 * minute, "jit_error"),
        // A VM drained before it came online is no boot attempt; a restart mid-provision is not the VM's fault.
        { ...bootFailed("rf-h1-small-00000003", t0 - 4 * minute), reason: "drain", outcome: "unused" },
        { ...bootFailed("rf-h1-small-00000004", t0 - 3 * minute), reason: "interrupted" },
        bootFailed("rf-h1-small-00000005", t0 - 2 * minute, "boot_failed"),
      ],
      records: [{ name: "rf-h1-small-00000006", pool: "small", phase: "booting", times: { requested: t0 - minute } }],
    });
    const attempts = bootAttemptsOf([doc]);
    expect(attempts.map((a) => [a.vm.slice(-1), a.ok])).toEqual([
      ["1", true],
      ["2", false],
      ["5", false],
    ]);
    expect(bootFailureTrigger(attempts, { threshold: 2 })?.message).toContain("jit_error");
  });

  it("counts a live VM that came online as a success that ends the streak", () => {
    const doc = status({
      now: t0,
      history: [bootFailed("rf-h1-small-00000001", t0 - 5 * minute), bootFailed("rf-h1-small-00000002", t0 - 4 * minute)],
      records: [{ name: "rf-h1-small-00000003", pool: "small", phase: "idle", times: { requested: t0 - 3 * minute, online: t0 - 2 * minute } }],
    });
    expect(bootFailureTrigger(bootAttemptsOf([doc]), { threshold: 2 })).toBeUndefined();
  });

  it("counts a host listed twice (in-process and by URL) once, so one failure is not a streak", () => {
    const doc = status({ now: t0, history: [ranJob("rf-h1-small-00000001", { requested: t0 - 10 * minute, online: t0 - 9 * minute, queuedAt: t0 - 9 * minute, assigned: t0 - 8 * minute, jobId: 1 }), bootFailed("rf-h1-small-00000002", t0 - minute)] });
    const evidence = controllerEvidence([{ url: "self", status: doc }, { url: "http://h1:8080", status: doc }]);
    expect(evidence.bootAttempts).toHaveLength(2);
    expect(bootFailureTrigger(evidence.bootAttempts, { threshold: 2 })).toBeUndefined();
  });
});
