/**
 * The Coordination port's contract: the in-memory implementation and PostgreSQL run these same
 * tests, so the single-host default cannot drift from what several hosts rely on.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Coordination, FleetHistoryEntry, FleetJob, HostFacts } from "../../runtime/ports/coordination.ts";

export interface CoordinationContractEnv {
  coordination: Coordination;
  /** The lease length the implementation was opened with. */
  leaseMs: number;
  /** Lets `ms` pass on the coordinator's clock (a manual clock, or real waiting). */
  pass(ms: number): Promise<void>;
  close(): Promise<void>;
}

export function job(id: number, labels = ["self-hosted", "linux"], queuedAt = 1_700_000_000_000 + id * 1000): FleetJob {
  return { id, runId: 9000 + id, repository: "acme/app", labels, queuedAt };
}

export function facts(host: string, freeSlots = 2): HostFacts {
  return {
    host,
    version: "test",
    capacity: { vcpus: 8, memoryMiB: 8192 },
    free: { vcpus: 4, memoryMiB: 4096 },
    pools: [{ name: "small", labels: ["self-hosted", "linux"], min: 1, max: 4, idle: 1, busy: 0, starting: 0, freeSlots }],
    draining: false,
  };
}

function entry(host: string, name: string, endedAt: number, jobId?: number): FleetHistoryEntry {
  return {
    host,
    name,
    pool: "small",
    ...(jobId === undefined ? {} : { jobId, repository: "acme/app" }),
    outcome: "success",
    reason: "completed",
    detail: "the guest powered off after its job",
    times: { requested: endedAt - 5000, started: endedAt - 4000, tornDown: endedAt },
    endedAt,
  };
}

const linux = [{ labels: ["self-hosted", "linux", "x64"], count: 10 }];

export function describeCoordinationContract(name: string, makeEnv: () => Promise<CoordinationContractEnv>): void {
  describe(`Coordination contract: ${name}`, () => {
    let env: CoordinationContractEnv;
    let c: Coordination;
    beforeEach(async () => {
      env = await makeEnv();
      c = env.coordination;
    });
    afterEach(async () => {
      await env.close();
    });

    it("records a job once: duplicates and late webhooks change nothing", async () => {
      await c.recordQueued([job(1)]);
      await c.recordQueued([job(1, ["gpu"]), job(1)]);
      const claimed = await c.claim("h1", linux);
      expect(claimed.map((j) => [j.id, j.labels, j.runId, j.repository, j.queuedAt])).toEqual([[1, ["self-hosted", "linux"], 9001, "acme/app", job(1).queuedAt]]);
      await c.recordQueued([job(1)]);
      expect(await c.claim("h2", linux)).toEqual([]);
    });

    it("claims only jobs a pool's labels serve (ignoring case), oldest first, up to the count", async () => {
      await c.recordQueued([job(3), job(1, ["Self-Hosted", "LINUX"]), job(2, ["self-hosted", "gpu"]), job(4)]);
      const claimed = await c.claim("h1", [{ labels: ["self-hosted", "linux", "x64"], count: 2 }]);
      expect(claimed.map((j) => j.id)).toEqual([1, 3]);
      expect(claimed.every((j) => j.lease.host === "h1" && j.lease.token === 1)).toBe(true);
      expect(Number.isFinite(claimed[0]!.lease.expiresAt)).toBe(true);
      expect((await c.claim("h2", [{ labels: ["self-hosted", "gpu"], count: 5 }, { labels: ["self-hosted", "linux"], count: 0 }])).map((j) => j.id)).toEqual([2]);
      expect((await c.claim("h2", linux)).map((j) => j.id)).toEqual([4]);
    });

    it("holds a claim against other hosts until the lease expires; then another host takes over with a higher token", async () => {
      await c.recordQueued([job(1)]);
      const [first] = await c.claim("h1", linux);
      expect(await c.claim("h2", linux)).toEqual([]);
      expect(await c.checkLease("h1", 1, first!.lease.token)).toBe(true);
      await env.pass(env.leaseMs + 200);
      expect(await c.checkLease("h1", 1, first!.lease.token)).toBe(false);
      const [taken] = await c.claim("h2", linux);
      expect(taken!.lease).toMatchObject({ jobId: 1, host: "h2", token: first!.lease.token + 1 });
      // The stale host is fenced: its token no longer holds, and renewing says so.
      expect(await c.checkLease("h1", 1, first!.lease.token)).toBe(false);
      expect(await c.renew("h1", [{ jobId: 1, token: first!.lease.token }])).toEqual({ held: [], lost: [1] });
      expect(await c.checkLease("h2", 1, taken!.lease.token)).toBe(true);
    });

    it("keeps a renewed lease past its first expiry", async () => {
      await c.recordQueued([job(1), job(2)]);
      const claimed = await c.claim("h1", linux);
      await env.pass(env.leaseMs * 0.6);
      const renewed = await c.renew("h1", [{ jobId: 1, token: 1 }]);
      expect(renewed.lost).toEqual([]);
      expect(renewed.held.map((l) => l.jobId)).toEqual([1]);
      expect(renewed.held[0]!.expiresAt).toBeGreaterThan(claimed[0]!.lease.expiresAt);
      await env.pass(env.leaseMs * 0.6);
      // Job 2's lease ran out; job 1's did not.
      expect((await c.claim("h2", linux)).map((j) => j.id)).toEqual([2]);
      expect(await c.checkLease("h1", 1, 1)).toBe(true);
    });

    it("renews a lease that expired while nobody took the job over (the database was down)", async () => {
      await c.recordQueued([job(1)]);
      await c.claim("h1", linux);
      await env.pass(env.leaseMs + 200);
      expect((await c.renew("h1", [{ jobId: 1, token: 1 }])).held.map((l) => l.jobId)).toEqual([1]);
      expect(await c.checkLease("h1", 1, 1)).toBe(true);
      expect(await c.claim("h2", linux)).toEqual([]);
    });

    it("gives a released job back to the queue at once; a stale token releases nothing", async () => {
      await c.recordQueued([job(1)]);
      await c.claim("h1", linux);
      await c.release("h1", 1, 7);
      await c.release("h2", 1, 1);
      expect(await c.claim("h2", linux)).toEqual([]);
      await c.release("h1", 1, 1);
      const [again] = await c.claim("h2", linux);
      expect(again!.lease).toMatchObject({ host: "h2", token: 2 });
    });

    it("never hands out a job GitHub says has started, even one it first hears of late", async () => {
      await c.recordQueued([job(1), job(2)]);
      await c.claim("h1", [{ labels: ["self-hosted", "linux"], count: 1 }]);
      await c.markTaken([1, 2, 3]);
      expect(await c.checkLease("h1", 1, 1)).toBe(false);
      // A taken job's lease is still renewable: its VM lives on.
      expect((await c.renew("h1", [{ jobId: 1, token: 1 }])).lost).toEqual([]);
      await c.recordQueued([job(3)]);
      await env.pass(env.leaseMs + 200);
      expect(await c.claim("h2", linux)).toEqual([]);
    });

    it("completes a job: one history entry, and the job is never claimed again", async () => {
      await c.recordQueued([job(1)]);
      await c.claim("h1", linux);
      await c.complete(entry("h1", "rf-h1-small-a", 5_000, 1), { jobId: 1, token: 1 });
      await c.complete(entry("h1", "rf-h1-small-a", 5_000, 1), { jobId: 1, token: 1 });
      await env.pass(env.leaseMs + 200);
      expect(await c.claim("h2", linux)).toEqual([]);
      expect(await c.history()).toEqual([entry("h1", "rf-h1-small-a", 5_000, 1)]);
    });

    it("a stale host's completion writes its history but does not end the job the new owner holds", async () => {
      await c.recordQueued([job(1)]);
      await c.claim("h1", linux);
      await env.pass(env.leaseMs + 200);
      await c.claim("h2", linux);
      await c.complete(entry("h1", "rf-h1-small-a", 5_000), { jobId: 1, token: 1 });
      expect(await c.checkLease("h2", 1, 2)).toBe(true);
    });

    it("shows a host offline once it has been silent for longer than a lease", async () => {
      await c.heartbeat(facts("h2"));
      await c.heartbeat(facts("h1", 3));
      let hosts = await c.hosts();
      expect(hosts.map((h) => [h.host, h.online, h.pools[0]!.freeSlots])).toEqual([
        ["h1", true, 3],
        ["h2", true, 2],
      ]);
      expect(hosts[0]).toMatchObject(facts("h1", 3));
      await env.pass(env.leaseMs * 0.6);
      await c.heartbeat(facts("h1", 1));
      await env.pass(env.leaseMs * 0.6);
      hosts = await c.hosts();
      expect(hosts.map((h) => [h.host, h.online, h.pools[0]!.freeSlots])).toEqual([
        ["h1", true, 1],
        ["h2", false, 2],
      ]);
      expect(hosts[0]!.seenAt).toBeGreaterThan(hosts[1]!.seenAt);
    });

    it("answers history queries newest first, by time, host and count", async () => {
      for (const [host, name, at] of [["h1", "a", 1_000], ["h2", "b", 3_000], ["h1", "c", 2_000], ["h2", "d", 4_000]] as const) {
        await c.complete(entry(host, name, at));
      }
      expect((await c.history()).map((e) => e.name)).toEqual(["d", "b", "c", "a"]);
      expect((await c.history({ since: 2_000 })).map((e) => e.name)).toEqual(["d", "b", "c"]);
      expect((await c.history({ host: "h1" })).map((e) => e.name)).toEqual(["c", "a"]);
      expect((await c.history({ limit: 1 })).map((e) => e.name)).toEqual(["d"]);
      expect((await c.history({ host: "h2" }))[0]).toEqual(entry("h2", "d", 4_000));
    });

    it("bounds a history read by time and count together: the newest of the window, as statuses carry it", async () => {
      for (const [host, name, at] of [["h1", "a", 1_000], ["h2", "b", 3_000], ["h1", "c", 2_000], ["h2", "d", 4_000], ["h3", "e", 5_000]] as const) {
        await c.complete(entry(host, name, at));
      }
      // A controller reporting one VM twice (a teardown run again) leaves one entry.
      await c.complete(entry("h1", "c", 2_000));
      expect((await c.history({ since: 2_000, limit: 3 })).map((e) => `${e.host}/${e.name}`)).toEqual(["h3/e", "h2/d", "h2/b"]);
      expect((await c.history({ since: 2_000, limit: 10 })).map((e) => `${e.host}/${e.name}`)).toEqual(["h3/e", "h2/d", "h2/b", "h1/c"]);
      expect(await c.history({ since: 6_000, limit: 10 })).toEqual([]);
    });
  });
}
