import { describe, expect, it } from "vitest";
import { planReconcile, type Observation, type PlanSettings } from "../../../runtime/controller/plan.ts";
import { parseControllerConfig } from "../../../runtime/config/controller-config.ts";
import type { VmPhase, VmRecord } from "../../../runtime/controller/vm-record.ts";
import type { QueuedJob } from "../../../runtime/controller/demand.ts";

const config = parseControllerConfig({
  host: { name: "h1", vcpus: 4, memoryMiB: 4096 },
  github: { scope: { kind: "org", org: "acme" }, repositories: ["acme/app"], runnerGroupId: 2, auth: { kind: "token", token: "x".repeat(40) } },
  pools: [
    { name: "small", labels: ["self-hosted", "linux", "x64"], min: 1, max: 3, vcpus: 1, memoryMiB: 1024 },
    { name: "big", labels: ["self-hosted", "linux", "x64", "big"], min: 0, max: 2, vcpus: 2, memoryMiB: 2048 },
  ],
  image: { base: "/img/base.qcow2", boot: { kind: "disk" } },
  network: { kind: "libvirt-network", network: "rf" },
  timing: { drainGraceSeconds: 100 },
});
const now = 10_000_000;
const settings: PlanSettings = {
  config,
  timing: { bootTimeoutMs: 60_000, jobTimeoutMs: 3_600_000, stuckGraceMs: 30_000 },
  peers: ["h1"],
  peerFallbackMs: 30_000,
  owns: (name) => name.startsWith("rf-h1-"),
};

let serial = 0;
function vm(pool: string, phase: VmPhase, over: Partial<VmRecord> = {}): VmRecord {
  const name = `rf-h1-${pool}-${(++serial).toString(16).padStart(8, "0")}`;
  const times: VmRecord["times"] = phase === "booting" ? { requested: now - 6_000, started: now - 5_000 } : { requested: now - 200_000, started: now - 199_000 };
  if (phase === "idle" || phase === "busy") times.online = now - 100_000;
  if (phase === "busy") times.assigned = now - 50_000;
  return { name, pool, runnerId: serial, phase, times, ...(phase === "busy" ? { job: { id: serial } } : {}), ...over };
}
function observe(records: VmRecord[], over: Partial<Observation> = {}): Observation {
  return {
    now,
    domainsSeenAt: now,
    records,
    domains: records.filter((r) => r.phase !== "provisioning").map((r) => ({ name: r.name, state: "running" as const, metadata: { pool: r.pool, createdAt: "" } })),
    runners: [],
    consoles: new Map(records.filter((r) => r.phase === "idle" || r.phase === "busy").map((r) => [r.name, { listening: true }])),
    overlays: [],
    secrets: [],
    queued: [],
    assignments: new Map(),
    history: [],
    drainingSince: undefined,
    shuttingDownSince: undefined,
    inFlight: new Set(),
    ...over,
  };
}
const queued = (id: number, labels = ["self-hosted", "linux"], seenAt = now - 900): QueuedJob => ({ id, runId: id, repository: "acme/app", labels, queuedAt: now - 1000, seenAt });
const kinds = (plan: ReturnType<typeof planReconcile>) => plan.actions.map((a) => (a.kind === "provision" ? `provision:${a.pool}` : a.kind === "teardown" ? `teardown:${a.reason}` : a.kind));

describe("planReconcile", () => {
  it("fills warm floors on an empty host", () => {
    expect(kinds(planReconcile(observe([]), settings))).toEqual(["provision:small"]);
  });

  it("provisions for queued jobs in the pool that serves them, within max and the host budget", () => {
    const plan = planReconcile(observe([vm("small", "idle")], { queued: [queued(1, ["big"]), queued(2, ["big"]), queued(3, ["big"])] }), settings);
    // big: max 2, and the budget (4 vCPU, 1 used by small) allows only one 2-vCPU VM... plus nothing else.
    expect(kinds(plan)).toEqual(["provision:big"]);
    expect(plan.pools.find((p) => p.pool === "big")).toMatchObject({ queued: 3, desired: 2, provision: 2, held: "host_budget" });
  });

  it("times each new VM from when the controller heard of its need: the queued job, or a warm VM taking a job", () => {
    const busy = vm("small", "busy");
    const cold = planReconcile(observe([vm("small", "idle")], { queued: [queued(1, ["big"], now - 300)] }), settings);
    expect(cold.actions).toContainEqual({ kind: "provision", pool: "big", noticedAt: now - 300 });
    // The warm VM took a job; the webhook saying so arrived before the pass that sees it busy.
    const assignments = new Map([[busy.name, { runnerName: busy.name, job: { id: 7 }, completed: false, noticedAt: now - 50_100 }]]);
    const refill = planReconcile(observe([busy], { assignments }), settings);
    expect(refill.actions).toEqual([{ kind: "provision", pool: "small", noticedAt: now - 50_100 }]);
  });

    it("does not double-provision for jobs that booting VMs will take", () => {
    const plan = planReconcile(observe([vm("small", "booting"), vm("small", "booting")], { queued: [queued(1), queued(2)] }), settings);
    expect(plan.actions).toEqual([]);
  });

  it("holds provisioning while a pool backs off after failures", () => {
    const history = [1, 2].map((i) => ({ name: `x${i}`, pool: "small", outcome: "lost" as const, reason: "boot_timeout" as const, detail: "", times: { requested: 0, tornDown: now - 1000 } }));
    const plan = planReconcile(observe([], { history }), settings);
    expect(plan.actions).toEqual([]);
    expect(plan.pools.find((p) => p.pool === "small")).toMatchObject({ held: "backoff", consecutiveFailures: 2 });
  });

  it("scales down idle surplus only after it has idled a while, oldest first", () => {
    const old1 = vm("small", "idle", { times: { requested: 0, online: now - 500_000 } });
    const old2 = vm("small", "idle", { times: { requested: 0, online: now - 400_000 } });
    const fresh = vm("small", "idle", { times: { requested: 0, online: now - 1_000 } });
    const plan = planReconcile(observe([fresh, old2, old1]), settings);
    const downs = plan.actions.filter((a) => a.kind === "teardown");
    expect(downs).toEqual([
      expect.objectContaining({ name: old1.name, reason: "scale_down", voluntary: true }),
      expect.objectContaining({ name: old2.name, reason: "scale_down", voluntary: true }),
    ]);
  });

  it.each([
    [60, 2],
    [450, 1],
    [600, 0],
  ])("a pool's idle timeout of %d s decides when its 2 surplus idle VMs (idle 500, 400, 100 s) go: %d now", (idleTimeoutSeconds, removed) => {
    const timed = { ...settings, config: { ...config, pools: config.pools.map((p) => ({ ...p, idleTimeoutSeconds })) } };
    const idle = [500_000, 400_000, 100_000].map((ago) => vm("small", "idle", { times: { requested: 0, online: now - ago } }));
    const downs = planReconcile(observe(idle), timed).actions.filter((a) => a.kind === "teardown");
    expect(downs).toHaveLength(removed);
  });

  it("an adaptive pool's warm target follows the jobs in its history, and falls to min without them", () => {
    const adaptive = { ...settings, config: { ...config, pools: config.pools.map((p) => (p.name === "small" ? { ...p, max: 3, sizing: "adaptive" as const } : p)) } };
    // 120 single jobs an hour for the last 2 hours, each VM online 30 s after it was noticed:
    // a job waits unless fewer than k came in the 30 s before it, N ~ Poisson(1), P(N ≥ 3) = 8 %,
    // P(N ≥ 4) = 2 %: 4 spare VMs, capped at max 3
    const history = Array.from({ length: 240 }, (_, i) => {
      const at = now - 2 * 3_600_000 + i * 30_000;
      return { name: `h${i}`, pool: "small", outcome: "success" as const, reason: "completed" as const, detail: "", job: { id: i, runId: i, queuedAt: at }, times: { requested: at - 40_000, noticed: at - 40_000, online: at - 10_000 } };
    });
    const busy = planReconcile(observe([], { history }), adaptive).pools.find((p) => p.pool === "small")!;
    expect(busy.warm).toMatchObject({ sizing: "adaptive", target: 3 });
    expect(busy.warm.adaptive?.jobsPerHour).toBeGreaterThan(110);
    expect(busy.warm.adaptive?.jobsPerHour).toBeLessThan(125);
    expect(busy.provision).toBe(3);
    const quiet = planReconcile(observe([]), adaptive).pools.find((p) => p.pool === "small")!;
    expect(quiet.warm).toMatchObject({ sizing: "adaptive", target: 1 });
    expect(quiet.warm.adaptive?.quiet).toBe(true);
    // fixed pools keep their configured target whatever the history says
    expect(planReconcile(observe([], { history }), settings).pools.find((p) => p.pool === "small")!.warm).toEqual({ sizing: "fixed", target: 1 });
  });

  it("drains: no new VMs, idle ones go, busy ones stay until the grace period ends", () => {
    const idle = vm("small", "idle");
    const busy = vm("small", "busy");
    const early = planReconcile(observe([idle, busy], { drainingSince: now - 10_000, queued: [queued(1)] }), settings);
    expect(early.actions).toEqual([expect.objectContaining({ kind: "teardown", name: idle.name, reason: "drain", voluntary: true })]);
    expect(early.pools.find((p) => p.pool === "small")?.held).toBe("draining");
    const late = planReconcile(observe([busy], { drainingSince: now - 100_000 }), settings);
    expect(late.actions).toEqual([expect.objectContaining({ name: busy.name, reason: "drain", voluntary: false })]);
  });

  it("cleans up leftovers that have no record, and only its own", () => {
    const plan = planReconcile(
      observe([], {
        domains: [
          { name: "rf-h1-small-deadbeef", state: "running", metadata: undefined },
        ],
        runners: [
          { id: 1, name: "rf-h1-small-0000aaaa", status: "offline", busy: false, labels: [] },
          { id: 2, name: "someone-else", status: "online", busy: false, labels: [] },
          // GitHub refuses to delete a busy registration: the sweep waits for GitHub to let go.
          { id: 3, name: "rf-h1-small-0000dddd", status: "offline", busy: true, labels: [] },
        ],
        overlays: [{ path: "/s/overlays/rf-h1-small-0000bbbb.qcow2", sizeBytes: 1 }],
        secrets: ["/s/secrets/rf-h1-small-0000cccc.jit"],
      }),
      { ...settings, config: { ...config, pools: config.pools.map((p) => ({ ...p, min: 0 })) } },
    );
    expect(plan.actions).toEqual([
      { kind: "teardown", name: "rf-h1-small-deadbeef", reason: "orphan", detail: "domain without a record", voluntary: false },
      { kind: "deleteRunner", id: 1, name: "rf-h1-small-0000aaaa" },
      { kind: "removeOverlay", path: "/s/overlays/rf-h1-small-0000bbbb.qcow2" },
      { kind: "removeSecret", path: "/s/secrets/rf-h1-small-0000cccc.jit" },
    ]);
  });

  it("removes the JIT config file of a VM adopted after a crash, but not of a provision in flight", () => {
    const adopted = vm("small", "booting");
    const provisioning = vm("small", "provisioning");
    const secret = (r: VmRecord) => `/s/secrets/${r.name}.jit`;
    const plan = planReconcile(observe([adopted, provisioning], { secrets: [secret(adopted), secret(provisioning)], inFlight: new Set([provisioning.name]) }), settings);
    expect(plan.actions).toEqual([{ kind: "removeSecret", path: secret(adopted) }]);
  });

  it("gives no second VM to a job a VM is seen running before GitHub says which job it took", () => {
    const early = vm("small", "busy", { job: { name: "build" } });
    const settingsMin0 = { ...settings, config: { ...config, pools: config.pools.map((p) => ({ ...p, min: 0 })) } };
    expect(kinds(planReconcile(observe([early], { queued: [queued(1)] }), settingsMin0))).toEqual([]);
    // Once its job is known, a job still queued is another job: it gets a VM.
    const known = { ...early, job: { id: 7, name: "build" } };
    expect(kinds(planReconcile(observe([known], { queued: [queued(1)] }), settingsMin0))).toEqual(["provision:small"]);
  });

  it("does not touch VMs with an action in flight", () => {
    const r = vm("small", "provisioning");
    const plan = planReconcile(observe([r], { inFlight: new Set([r.name]), overlays: [{ path: `/s/${r.name}.qcow2`, sizeBytes: 1 }] }), settings);
    expect(plan.actions).toEqual([]);
  });

  it("records phase changes it observed", () => {
    const r = vm("small", "booting");
    const plan = planReconcile(observe([r], { consoles: new Map([[r.name, { listening: true }]]) }), settings);
    expect(plan.updates).toEqual([expect.objectContaining({ name: r.name, phase: "idle", times: expect.objectContaining({ online: now }) })]);
  });
});
