import { describe, expect, it } from "vitest";
import { advanceVm, type VmView } from "../../../runtime/controller/vm-lifecycle.ts";
import type { VmRecord } from "../../../runtime/controller/vm-record.ts";
import type { DomainState } from "../../../runtime/ports/hypervisor.ts";

const timing = { bootTimeoutMs: 60_000, jobTimeoutMs: 600_000, stuckGraceMs: 30_000 };
const t0 = 1_000_000;

function record(over: Partial<VmRecord> = {}): VmRecord {
  return { name: "rf-h1-small-0badcafe", pool: "small", runnerId: 7, phase: "booting", times: { requested: t0, started: t0 }, ...over };
}
function view(over: Partial<VmView> & { state?: DomainState | null } = {}): VmView {
  const { state = "running", ...rest } = over;
  const rec = rest.record ?? record();
  return {
    record: rec,
    domain: state === null ? undefined : { name: rec.name, state, metadata: { pool: rec.pool, createdAt: "x" } },
    runner: undefined,
    marks: { listening: false },
    assignment: undefined,
    inFlight: false,
    ...rest,
  };
}

describe("advanceVm", () => {
  it("stays booting until the runner listens, then becomes idle with the time it was seen", () => {
    expect(advanceVm(view(), t0 + 1000, timing).record.phase).toBe("booting");
    const step = advanceVm(view({ marks: { listening: true } }), t0 + 2000, timing);
    expect(step.record.phase).toBe("idle");
    expect(step.record.times.online).toBe(t0 + 2000);
    expect(step.teardown).toBeUndefined();
  });

  it("takes GitHub's online status as evidence too", () => {
    const step = advanceVm(view({ runner: { id: 7, name: "x", status: "online", busy: false, labels: [] } }), t0 + 5, timing);
    expect(step.record.phase).toBe("idle");
  });

  it("becomes busy on a webhook assignment and keeps the job, timed by its own clock", () => {
    const idle = record({ phase: "idle", times: { requested: t0, started: t0, online: t0 + 10 } });
    const assignment = { runnerName: "x", job: { id: 5, runId: 50, repository: "acme/app", queuedAt: t0 + 20 }, startedAt: t0 + 30, completed: false };
    const step = advanceVm(view({ record: idle, assignment }), t0 + 40, timing);
    expect(step.record.phase).toBe("busy");
    // GitHub's started_at has one-second resolution: a start seen as it happens is timed now.
    expect(step.record.times.assigned).toBe(t0 + 40);
    expect(step.record.job).toMatchObject({ id: 5, runId: 50 });
    // A start learned of late (after a restart) keeps GitHub's time.
    expect(advanceVm(view({ record: idle, assignment }), t0 + 60_000, timing).record.times.assigned).toBe(t0 + 30);
  });

  it("tears down on boot timeout, but not before", () => {
    expect(advanceVm(view(), t0 + 60_000, timing).teardown).toBeUndefined();
    expect(advanceVm(view(), t0 + 60_001, timing).teardown?.reason).toBe("boot_timeout");
  });

  it("tears down on job timeout", () => {
    const busy = record({ phase: "busy", times: { requested: t0, started: t0, online: t0, assigned: t0 + 1 }, job: { id: 1 } });
    expect(advanceVm(view({ record: busy }), t0 + 600_001, timing).teardown).toBeUndefined();
    expect(advanceVm(view({ record: busy }), t0 + 600_002, timing).teardown?.reason).toBe("job_timeout");
  });

  it("classifies a powered-off guest by whether it took a job", () => {
    const done = advanceVm(view({ state: "shutoff", marks: { listening: true, runningJob: "build", result: "Succeeded" } }), t0 + 9000, timing);
    expect(done.teardown?.reason).toBe("completed");
    expect(done.record.job).toMatchObject({ name: "build", conclusion: "success" });
    expect(advanceVm(view({ state: "shutoff" }), t0 + 9000, timing).teardown?.reason).toBe("boot_failed");
  });

  it.each([
    { case: "GitHub's start inside the VM's life", startedAt: t0 + 6000, assigned: t0 + 6000 },
    { case: "a start stamped before the VM started (clock skew)", startedAt: t0 - 500, assigned: t0 },
    { case: "a start stamped after the power-off", startedAt: t0 + 9500, assigned: t0 + 9000 },
  ])("times a job that began and ended between two passes from GitHub's start: $case", ({ startedAt, assigned }) => {
    const assignment = { runnerName: "x", job: { id: 5, conclusion: "success" as const }, startedAt, completed: true };
    const step = advanceVm(view({ state: "shutoff", assignment }), t0 + 9000, timing);
    expect(step.teardown?.reason).toBe("completed");
    expect(step.record.times.assigned).toBe(assigned);
    expect(step.record.times.online).toBe(assigned);
    // Without GitHub's start nothing is made up.
    const unseen = advanceVm(view({ state: "shutoff", assignment: { ...assignment, startedAt: undefined } }), t0 + 9000, timing);
    expect(unseen.record.times.assigned).toBeUndefined();
  });

  it("stamps the power-off when libvirt reported it, not when the pass began", () => {
    const step = advanceVm({ ...view({ state: "shutoff", marks: { listening: true, runningJob: "x" } }), domainSeenAt: t0 + 9170 }, t0 + 9000, timing);
    expect(step.record.times.poweredOff).toBe(t0 + 9170);
  });

  it("calls a guest stuck when it keeps running after its job completed", () => {
    const marks = { listening: true, runningJob: "build", result: "Failed" };
    const first = advanceVm(view({ marks }), t0 + 1000, timing);
    expect(first.teardown).toBeUndefined();
    expect(first.record.times.finished).toBe(t0 + 1000);
    expect(advanceVm(view({ record: first.record, marks }), t0 + 31_001, timing).teardown?.reason).toBe("stuck_after_job");
  });

  it("cleans up an interrupted provision, and adopts one whose domain already runs", () => {
    const provisioning = record({ phase: "provisioning", times: { requested: t0 } });
    expect(advanceVm(view({ record: provisioning, state: null }), t0, timing).teardown?.reason).toBe("interrupted");
    const adopted = advanceVm(view({ record: provisioning }), t0 + 5, timing);
    expect(adopted.teardown).toBeUndefined();
    expect(adopted.record.phase).toBe("booting");
  });

  it("resumes an interrupted teardown with its original reason", () => {
    const leaving = record({ phase: "tearing-down", teardown: { reason: "job_timeout", detail: "d", at: t0 } });
    expect(advanceVm(view({ record: leaving, state: null }), t0, timing).teardown).toEqual({ reason: "job_timeout", detail: "d" });
  });

  it("leaves VMs with an action in flight alone", () => {
    expect(advanceVm(view({ inFlight: true, state: "shutoff" }), t0 + 999_999, timing).teardown).toBeUndefined();
  });

  it("treats a vanished domain as a libvirt error", () => {
    expect(advanceVm(view({ state: null }), t0, timing).teardown?.reason).toBe("libvirt_error");
  });
});
