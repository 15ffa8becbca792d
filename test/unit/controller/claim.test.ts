import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { advanceOnClaim, nextClaimPhase, type ClaimEvent } from "../../../runtime/controller/claim-lifecycle.ts";
import { planClaims } from "../../../runtime/controller/claim-plan.ts";
import { planReconcile, type Observation, type PlanSettings } from "../../../runtime/controller/plan.ts";
import type { QueuedJob } from "../../../runtime/controller/demand.ts";
import type { VmPhase, VmRecord } from "../../../runtime/controller/vm-record.ts";
import { parseControllerConfig, type PoolConfig } from "../../../runtime/config/controller-config.ts";

const phases: VmPhase[] = ["provisioning", "booting", "idle", "waiting", "claimed", "busy", "finished", "tearing-down"];
const events: ClaimEvent[] = ["waiting", "claim", "job"];
const timing = { bootTimeoutMs: 60_000, jobTimeoutMs: 3_600_000, stuckGraceMs: 60_000 };

describe("nextClaimPhase (phase × event)", () => {
  const allowed: Record<string, VmPhase> = { "booting/waiting": "waiting", "waiting/claim": "claimed", "claimed/job": "busy" };
  const cases = phases.flatMap((phase) => events.map((event) => [phase, event, allowed[`${phase}/${event}`]] as const));
  it.each(cases)("%s + %s → %s", (phase, event, next) => {
    expect(nextClaimPhase(phase, event)).toBe(next);
  });

  it("whatever happens, a VM is claimed at most once", () => {
    fc.assert(
      fc.property(fc.constantFrom(...phases), fc.array(fc.constantFrom(...events), { maxLength: 30 }), (start, sequence) => {
        let phase = start;
        let claims = 0;
        for (const event of sequence) {
          const next = nextClaimPhase(phase, event);
          if (next === undefined) continue;
          if (event === "claim") claims++;
          phase = next;
        }
        expect(claims).toBeLessThanOrEqual(1);
      }),
    );
  });
});

const vm = (over: Partial<VmRecord> = {}): VmRecord => ({ name: "rf-h1-small-00000001", pool: "small", phase: "booting", onClaim: true, times: { requested: 0, started: 1 }, ...over });

describe("advanceOnClaim", () => {
  it.each([
    ["booting, the agent waits on its channel", vm(), { listening: false, waiting: true }, false, 10, { phase: "waiting", online: 10 }],
    ["booting, not yet", vm(), { listening: false }, false, 10, undefined],
    ["waiting stays waiting, however long", vm({ phase: "waiting", times: { requested: 0, online: 5 } }), { listening: false, waiting: true }, false, 10_000_000, { phase: "waiting" }],
    ["claimed, handed over, runner not on it yet", vm({ phase: "claimed", times: { requested: 0, handedOut: 100 } }), { listening: true, waiting: true }, false, 200, { phase: "claimed" }],
    ["claimed, the runner took the job: the common step makes it busy", vm({ phase: "claimed", times: { requested: 0, handedOut: 100 } }), { listening: true }, true, 200, undefined],
    ["claimed, never handed over (the action died)", vm({ phase: "claimed", times: { requested: 0 } }), { listening: false, waiting: true }, false, 200, { teardown: "interrupted" }],
    ["claimed, handed over, no job for too long", vm({ phase: "claimed", times: { requested: 0, handedOut: 100 } }), { listening: true }, false, 100 + 60_001, { teardown: "boot_timeout" }],
    ["a VM registered ahead is not this module's", vm({ onClaim: undefined }), { listening: false, waiting: true }, false, 10, undefined],
  ])("%s", (_, record, marks, tookJob, now, expected) => {
    const copy = structuredClone(record);
    const step = advanceOnClaim(copy, marks, tookJob, now, timing);
    if (expected === undefined) return expect(step).toBeUndefined();
    if ("teardown" in expected) return expect(step?.teardown?.reason).toBe(expected.teardown);
    expect(step?.teardown).toBeUndefined();
    expect(step?.record.phase).toBe(expected.phase);
    if ("online" in expected) expect(step?.record.times.online).toBe(expected.online);
  });
});

const pool = (name: string, over: Partial<PoolConfig> = {}): PoolConfig => ({ name, labels: ["self-hosted", name], min: 0, max: 4, vcpus: 1, memoryMiB: 512, register: "on-claim", ...over });
const job = (id: number, over: Partial<QueuedJob> = {}): QueuedJob => ({ id, runId: id * 10, repository: "acme/app", labels: ["self-hosted", "a"], queuedAt: id, seenAt: id, ...over });
const waiting = (name: string, poolName: string, online: number): VmRecord => ({ name, pool: poolName, phase: "waiting", onClaim: true, times: { requested: 0, online } });

describe("planClaims", () => {
  const pools = [pool("a"), pool("b"), pool("wide", { vcpus: 4, memoryMiB: 4096 }), pool("arm", { arch: "arm64" }), pool("ahead", { register: "ahead" })];

  it.each([
    ["a cleared job goes to the VM that waited longest", [waiting("v1", "a", 5), waiting("v2", "a", 1)], { a: [job(1)] }, [1], [["v2", 1]]],
    ["a job not cleared (being judged, or refused) gets nothing", [waiting("v1", "a", 1)], { a: [job(1)] }, [], []],
    ["a VM of another pool of the same shape serves it", [waiting("v1", "b", 1)], { a: [job(1)] }, [1], [["v1", 1]]],
    ["another size does not", [waiting("v1", "wide", 1)], { a: [job(1)] }, [1], []],
    ["nor another arch of the same size", [waiting("v1", "arm", 1)], { a: [job(1)] }, [1], []],
    ["jobs of pools registered ahead are not claimed", [waiting("v1", "a", 1)], { ahead: [job(1, { labels: ["self-hosted", "ahead"] })] }, [1], []],
    ["oldest job first when VMs are short", [waiting("v1", "a", 1)], { a: [job(2), job(1)] }, [1, 2], [["v1", 1]]],
    ["a VM already claimed is not claimed again", [{ ...waiting("v1", "a", 1), phase: "claimed" as const, claimedJob: { id: 9, runId: 90, repository: "acme/app", labels: [] } }], { a: [job(1)] }, [1], []],
    ["an idle VM registered ahead is never claimed", [{ name: "v1", pool: "a", phase: "idle" as const, times: { requested: 0, online: 1 } }], { a: [job(1)] }, [1], []],
  ])("%s", (_, vms, demand, cleared, expected) => {
    const claims = planClaims({ vms, demand: new Map(Object.entries(demand)), pools, cleared: new Set(cleared), now: 50 });
    expect(claims.map((c) => [c.record.name, c.job.id])).toEqual(expected);
    for (const c of claims) {
      expect(c.record).toMatchObject({ phase: "claimed", times: { claimed: 50 }, claimedJob: { id: c.job.id, runId: c.job.runId, labels: c.job.labels } });
    }
  });

  it("never gives a VM two jobs or a job two VMs, never a job that is not cleared, and never more claims than waiting VMs", () => {
    const poolNames = pools.map((p) => p.name);
    fc.assert(
      fc.property(
        fc.array(fc.record({ pool: fc.constantFrom(...poolNames), phase: fc.constantFrom<VmPhase>("waiting", "idle", "claimed", "busy", "booting"), online: fc.nat(100) }), { maxLength: 8 }),
        fc.array(fc.record({ pool: fc.constantFrom(...poolNames), cleared: fc.boolean(), queuedAt: fc.nat(100) }), { maxLength: 8 }),
        (vmSpecs, jobSpecs) => {
          const vms = vmSpecs.map((s, i): VmRecord => ({ name: `v${i}`, pool: s.pool, phase: s.phase, onClaim: true, times: { requested: 0, online: s.online } }));
          const jobs = jobSpecs.map((s, i) => ({ ...s, job: job(i + 1, { queuedAt: s.queuedAt }) }));
          const demand = new Map(poolNames.map((name) => [name, jobs.filter((j) => j.pool === name).map((j) => j.job)]));
          const cleared = new Set(jobs.filter((j) => j.cleared).map((j) => j.job.id));
          const claims = planClaims({ vms, demand, pools, cleared, now: 1 });
          expect(new Set(claims.map((c) => c.record.name)).size).toBe(claims.length);
          expect(new Set(claims.map((c) => c.job.id)).size).toBe(claims.length);
          for (const c of claims) {
            expect(cleared.has(c.job.id)).toBe(true);
            expect(vms.find((v) => v.name === c.record.name)!.phase).toBe("waiting");
          }
          expect(claims.length).toBeLessThanOrEqual(vms.filter((v) => v.phase === "waiting").length);
        },
      ),
    );
  });
});

describe("planReconcile with on-claim pools", () => {
  const config = parseControllerConfig({
    host: { name: "h1", vcpus: 4, memoryMiB: 4096 },
    github: { scope: { kind: "org", org: "acme" }, repositories: ["acme/app"], runnerGroupId: 2, auth: { kind: "token", token: "x".repeat(40) } },
    pools: [
      { name: "a", labels: ["self-hosted", "a"], min: 1, max: 3, vcpus: 1, memoryMiB: 1024, register: "on-claim" },
      { name: "b", labels: ["self-hosted", "b"], min: 0, max: 3, vcpus: 1, memoryMiB: 1024, register: "on-claim" },
    ],
    image: { base: "/img/base.qcow2", boot: { kind: "disk" } },
    network: { kind: "libvirt-network", network: "rf" },
  });
  const settings: PlanSettings = { config, timing, peers: ["h1"], peerFallbackMs: 30_000, owns: (name) => name.startsWith("rf-h1-") };
  const now = 1_000_000;

  function observe(records: VmRecord[], queued: QueuedJob[], cleared: number[]): Observation {
    return {
      now,
      domainsSeenAt: now,
      records,
      domains: records.map((r) => ({ name: r.name, state: "running" as const, metadata: { pool: r.pool, createdAt: "" } })),
      runners: [],
      consoles: new Map(records.map((r) => [r.name, { listening: r.phase === "busy", waiting: true }])),
      overlays: [],
      secrets: [],
      queued,
      assignments: new Map(),
      history: [],
      drainingSince: undefined,
      shuttingDownSince: undefined,
      inFlight: new Set(),
      clearedJobs: new Set(cleared),
    };
  }

  it.each([
    ["while a VM is handed its job, its replacement waits", [], 0],
    ["a queued job still starts its VM at once", [2], 1],
  ])("%s", (_, queuedIds, provisions) => {
    const claimed: VmRecord = { name: "rf-h1-a-00000001", pool: "a", phase: "claimed", onClaim: true, times: { requested: 0, online: 1, claimed: now - 10 }, claimedJob: { id: 1, runId: 1, repository: "acme/app", labels: ["self-hosted", "a"] } };
    const queued = queuedIds.map((id) => ({ id, runId: id, repository: "acme/app", labels: ["self-hosted", "a"], queuedAt: now - 5, seenAt: now - 5 }));
    const plan = planReconcile({ ...observe([claimed], queued, []), inFlight: new Set([claimed.name]) }, settings);
    expect(plan.actions.filter((a) => a.kind === "provision" && a.pool === "a")).toHaveLength(provisions);
  });

  it("over passes, a VM gets at most one job, a job at most one VM, and the host budget holds", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ pool: fc.constantFrom("a", "b"), phase: fc.constantFrom<VmPhase>("waiting", "booting", "busy") }), { maxLength: 4 }),
        fc.array(fc.record({ pool: fc.constantFrom("a", "b"), cleared: fc.boolean() }), { maxLength: 6 }),
        (vmSpecs, jobSpecs) => {
          let records = vmSpecs.map((s, i): VmRecord => ({
            name: `rf-h1-${s.pool}-${i.toString(16).padStart(8, "0")}`,
            pool: s.pool,
            phase: s.phase,
            onClaim: true,
            times: { requested: now - 5_000, started: now - 4_000, ...(s.phase === "booting" ? {} : { online: now - 3_000 }) },
            ...(s.phase === "busy" ? { job: { id: 1000 + i }, claimedJob: { id: 1000 + i, runId: 1, repository: "acme/app", labels: [] } } : {}),
          }));
          const queued = jobSpecs.map((s, i) => ({ id: i + 1, runId: i + 1, repository: "acme/app", labels: ["self-hosted", s.pool], queuedAt: now - 100 + i, seenAt: now - 100 + i }));
          const cleared = jobSpecs.flatMap((s, i) => (s.cleared ? [i + 1] : []));
          const claimsOf = new Map<string, number[]>();
          for (let pass = 0; pass < 3; pass++) {
            const plan = planReconcile(observe(records, queued, cleared), settings);
            expect(plan.used.vcpus).toBeLessThanOrEqual(config.host.vcpus);
            expect(plan.used.memoryMiB).toBeLessThanOrEqual(config.host.memoryMiB);
            const updated = new Map(plan.updates.map((r) => [r.name, r]));
            for (const action of plan.actions) {
              if (action.kind !== "claim") continue;
              const record = updated.get(action.name)!;
              expect(cleared).toContain(record.claimedJob!.id);
              claimsOf.set(action.name, [...(claimsOf.get(action.name) ?? []), record.claimedJob!.id]);
            }
            // The claim action ran: the record was handed over (and stays claimed).
            records = records.map((r) => {
              const next = updated.get(r.name) ?? r;
              return next.phase === "claimed" ? { ...next, times: { ...next.times, handedOut: now } } : next;
            });
          }
          for (const jobs of claimsOf.values()) expect(jobs.length).toBe(1);
          const jobIds = [...claimsOf.values()].flat();
          expect(new Set(jobIds).size).toBe(jobIds.length);
        },
      ),
    );
  });
});
