/**
 * The trust gate's decisions with a stand-in judge (which jobs and VMs are refused, counted once,
 * and which runs are cancelled), the status text a refused run's commit gets, and the teardown's
 * journal of a registration removal GitHub still refuses.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { parseControllerConfig } from "../../../runtime/config/controller-config.ts";
import { ConsoleReader } from "../../../runtime/controller/console-reader.ts";
import type { ControllerContext } from "../../../runtime/controller/context.ts";
import type { QueuedJob } from "../../../runtime/controller/demand.ts";
import { HistoryStore } from "../../../runtime/controller/history-store.ts";
import { RecordStore } from "../../../runtime/controller/record-store.ts";
import { refusalStatus, trustStatusContext } from "../../../runtime/controller/refused-run.ts";
import { teardown } from "../../../runtime/controller/teardown.ts";
import { TrustGate, type JudgeRun, type RunVerdict } from "../../../runtime/controller/trust-check.ts";
import type { VmPhase, VmRecord } from "../../../runtime/controller/vm-record.ts";
import { MemoryGitHub } from "../../../runtime/github/memory-github.ts";
import { GitHubError } from "../../../runtime/ports/github.ts";
import { createMemoryHypervisor } from "../../../runtime/hypervisor/memory/memory-hypervisor.ts";
import { waitsUntilDestroyed } from "../../../runtime/hypervisor/memory/guest-behaviours.ts";
import { createMetrics } from "../../../runtime/observability/metrics.ts";
import { systemClock } from "../../../runtime/ports/clock.ts";
import type { Reason } from "../../../runtime/routing/reasons.ts";
import { metricValue } from "../../support/libvirt-fleet.ts";

const fleetLabels = ["self-hosted", "linux", "x64", "runner-fleet"];
const pools = [{ name: "small", labels: fleetLabels, min: 0, max: 2, vcpus: 1, memoryMiB: 512 }];
const silent = pino({ level: "silent" });
const sha = "c0ffee".padEnd(40, "0");

const verdicts: Record<number, RunVerdict> = {
  1: { headSha: sha, refuse: { code: "fork", message: "run 1: head repository 9 is not repository 7" } },
  2: { headSha: sha },
  3: { headSha: sha, refuse: { code: "bot", message: "run 3: actor: dependabot[bot] is a bot" } },
};

function gateWith(judge: JudgeRun, github = new MemoryGitHub()) {
  const metrics = createMetrics({ processMetrics: false });
  let kicks = 0;
  const gate = new TrustGate(judge, { github, pools, metrics, logger: silent, onVerdict: () => kicks++ });
  const refused = async () => metricValue(await metrics.registry.metrics(), "runner_fleet_untrusted_jobs_refused_total");
  return { gate, github, refused, kicks: () => kicks };
}

const judgeFromTable: JudgeRun = async (_repository, runId) => {
  const verdict = verdicts[runId];
  if (!verdict) throw new Error(`no run ${runId}`);
  return verdict;
};

const queued = (runId: number, overrides: Partial<QueuedJob> = {}): QueuedJob => ({
  id: 100 + runId,
  runId,
  repository: "acme/app",
  labels: fleetLabels,
  queuedAt: 0,
  seenAt: 0,
  ...overrides,
});

const vm = (runId: number, phase: VmPhase, name = `rf-h1-small-${runId}`): VmRecord => ({
  name,
  pool: "small",
  phase,
  times: { requested: 0 },
  job: { id: 100 + runId, runId, repository: "acme/app" },
});

/** Lets the stand-in judge's promises settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("refusalStatus", () => {
  it.each([
    ["fork: run 1: head repository 9 is not repository 7", "Refused on self-hosted runners: fork: run 1: head repository 9 is not repository 7"],
    ["bot: the webhook's sender is a bot", "Refused on self-hosted runners: bot: the webhook's sender is a bot"],
    ["x".repeat(200), `Refused on self-hosted runners: ${"x".repeat(140 - 32 - 1)}…`],
  ])("says why on the commit within GitHub's 140 characters: %s", (detail, description) => {
    const status = refusalStatus(detail);
    expect(status).toEqual({ state: "failure", context: trustStatusContext, description });
    expect(status.description.length).toBeLessThanOrEqual(140);
  });
});

describe("TrustGate.vetQueued", () => {
  const fork: Reason = { code: "fork", message: "head repository 9 is not repository 7" };
  it.each<{ case: string; refuse?: Reason; untrusted?: string; labels?: string[]; count: number; cancelled: boolean }>([
    { case: "a fork's job for our pool", refuse: fork, count: 1, cancelled: true },
    { case: "a trusted run's job", count: 0, cancelled: false },
    { case: "a bot sender seen on the webhook, whatever the run says", untrusted: "bot", count: 1, cancelled: true },
    { case: "a fork's job for GitHub-hosted runners (not ours to refuse)", refuse: fork, labels: ["ubuntu-latest"], count: 0, cancelled: false },
    { case: "a fork's job asking for a label no pool has", refuse: fork, labels: [...fleetLabels, "gpu"], count: 0, cancelled: false },
  ])("$case: counted $count, run cancelled: $cancelled", async ({ refuse, untrusted, labels = fleetLabels, count, cancelled }) => {
    const github = new MemoryGitHub();
    const { jobId, runId } = github.enqueueJob({ repository: "acme/app", labels });
    const { headSha } = await github.getRunContext("acme/app", runId);
    github.calls.length = 0;
    const { gate, refused } = gateWith(async () => ({ headSha, ...(refuse ? { refuse } : {}) }), github);
    const job = queued(runId, { id: jobId, labels, ...(untrusted ? { untrusted } : {}) });
    // The first sight only starts the lookup (the job is demand meanwhile); the verdict acts on the next pass.
    expect(gate.vetQueued([job])).toEqual([job]);
    expect(github.calls).toEqual([]);
    await settle();
    // A refused job is no demand: no VM is started for it.
    expect(gate.vetQueued([job])).toEqual(cancelled ? [] : [job]);
    gate.vetQueued([job]);
    await settle();
    expect(await refused()).toBe(count);
    expect(github.calls.filter((c) => c.operation === "forceCancelRun").map((c) => c.args)).toEqual(cancelled ? [["acme/app", runId]] : []);
    expect(github.job(jobId)!.status).toBe(cancelled ? "completed" : "queued");
    expect(github.commitStatuses("acme/app", headSha).map((st) => st.context)).toEqual(cancelled ? [trustStatusContext] : []);
  });

  it("tries a failed lookup again on the next sight, and a failed cancel too", async () => {
    const github = new MemoryGitHub();
    const { jobId, runId } = github.enqueueJob({ repository: "acme/app", labels: fleetLabels });
    const { headSha } = await github.getRunContext("acme/app", runId);
    let fail = true;
    const judge: JudgeRun = async () => {
      if (fail) throw new Error("GitHub unreachable");
      return { headSha, refuse: { code: "fork", message: "a fork" } };
    };
    const { gate, refused } = gateWith(judge, github);
    const job = queued(runId, { id: jobId });
    gate.vetQueued([job]);
    await settle();
    fail = false;
    gate.vetQueued([job]);
    await settle();
    github.failNext("forceCancelRun", new GitHubError("boom", 502));
    gate.vetQueued([job]);
    await settle();
    gate.vetQueued([job]);
    await settle();
    expect(github.calls.filter((c) => c.operation === "forceCancelRun").length).toBe(2);
    expect(github.job(jobId)).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(await refused()).toBe(1);
  });
});

describe("TrustGate.refusals", () => {
  it.each<{ case: string; record: VmRecord; refused: boolean }>([
    { case: "a busy VM running a fork's job", record: vm(1, "busy"), refused: true },
    { case: "a VM already done with a bot's job (too late to stop, still refused)", record: vm(3, "finished"), refused: true },
    { case: "a busy VM running a trusted job", record: vm(2, "busy"), refused: false },
    { case: "an idle VM", record: { ...vm(1, "idle"), job: undefined }, refused: false },
    { case: "a VM already tearing down", record: vm(1, "tearing-down"), refused: false },
  ])("$case: refused $refused", async ({ record, refused }) => {
    const { gate, kicks } = gateWith(judgeFromTable);
    expect(gate.refusals([record])).toEqual([]);
    await settle();
    const out = gate.refusals([record]);
    expect(out.length).toBe(refused ? 1 : 0);
    if (refused) {
      expect(out[0]).toEqual({ name: record.name, detail: `${verdicts[record.job!.runId!]!.refuse!.code}: ${verdicts[record.job!.runId!]!.refuse!.message}`, headSha: sha });
      // A refusing verdict wakes the loop.
      expect(kicks()).toBe(1);
    }
  });

  it("counts a job once, whether seen queued, then on a VM, in pass after pass", async () => {
    const { gate, refused } = gateWith(judgeFromTable);
    gate.vetQueued([queued(1)]);
    await settle();
    gate.vetQueued([queued(1)]);
    for (let pass = 0; pass < 3; pass++) expect(gate.refusals([vm(1, "busy")]).length).toBe(1);
    expect(await refused()).toBe(1);
  });

  it("refuses nothing without a judge (the check is off)", () => {
    const { gate } = gateWith(undefined as unknown as JudgeRun);
    gate.vetQueued([queued(1)]);
    expect(gate.refusals([vm(1, "busy")])).toEqual([]);
  });
});

describe("teardown of a refused VM", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("cancels the run once, keeps the record while GitHub holds the registration, and finishes on a later try (also by a new controller)", async () => {
    dir = await mkdtemp(join(tmpdir(), "rf-refused-"));
    const config = parseControllerConfig({
      host: { name: "h1", vcpus: 4, memoryMiB: 4096 },
      github: { apiUrl: "http://memory.invalid", scope: { kind: "org", org: "acme" }, repositories: ["acme/app"], runnerGroupId: 1, auth: { kind: "token", token: "t".repeat(40) } },
      pools,
      image: { base: join(dir, "base.qcow2"), boot: { kind: "disk" } },
      network: { kind: "libvirt-network", network: "runner-fleet" },
      paths: { state: dir },
      hypervisor: { driver: "memory", domainType: "qemu" },
    });
    const github = new MemoryGitHub();
    const hypervisor = createMemoryHypervisor({ guest: waitsUntilDestroyed });
    const contextOn = async (): Promise<ControllerContext> => {
      const records = new RecordStore(dir!, () => undefined);
      await records.init();
      return { config, hypervisor, github, clock: systemClock, records, history: new HistoryStore(dir!), consoles: new ConsoleReader(), metrics: createMetrics({ processMetrics: false }), logger: silent };
    };
    const ctx = await contextOn();

    // A runner that took a fork's job (its VM already gone: removing a domain is idempotent).
    const { jobId, runId } = github.enqueueJob({ repository: "acme/app", labels: fleetLabels, event: "pull_request", headRepositoryId: 999 });
    const { runnerId } = await github.generateJitConfig({ name: "rf-h1-small-aa", labels: fleetLabels, runnerGroupId: 1 });
    github.setRunnerStatus(runnerId, "online");
    github.startJob(jobId, runnerId);
    const name = "rf-h1-small-aa";
    const record: VmRecord = {
      name,
      pool: "small",
      runnerId,
      phase: "busy",
      times: { requested: 0, assigned: 1 },
      job: { id: jobId, runId, repository: "acme/app" },
      teardown: { reason: "untrusted", detail: "fork: head repository 999 is not repository 70001", at: Date.now() },
    };
    await ctx.records.put(record);

    // GitHub has not let go of the runner yet when the controller asks (the cancel is still landing).
    github.failNext("deleteRunner", new GitHubError("still running a job", 422));
    expect(await teardown(ctx, record)).toBe("pending");
    expect(github.job(jobId)).toMatchObject({ status: "completed", conclusion: "cancelled" });
    const statuses = github.commitStatuses("acme/app", (await github.getRunContext("acme/app", runId)).headSha);
    expect(statuses).toEqual([refusalStatus("fork: head repository 999 is not repository 70001")]);
    const [kept] = await ctx.records.list();
    expect(kept).toMatchObject({ name, phase: "tearing-down", teardown: { reason: "untrusted", runEnded: true } });
    expect(kept!.times.domainGone).toBeGreaterThan(0);

    // A restarted controller reads the journal and finishes the job: no second cancel.
    const again = await contextOn();
    const [resumed] = await again.records.list();
    expect(await teardown(again, resumed!)).toBe("removed");
    expect(github.calls.filter((c) => c.operation === "forceCancelRun").length).toBe(1);
    expect(await again.records.list()).toEqual([]);
    expect(await github.listRunners("rf-h1-")).toEqual([]);
    const [entry] = await again.history.read();
    expect(entry).toMatchObject({ name, reason: "untrusted", outcome: "refused" });
  });
});
