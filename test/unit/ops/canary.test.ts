/** The canary's stage and criteria over plain data (controllers' status documents, recomputed runs). */
import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../../../runtime/controller/vm-record.ts";
import type { FleetHistoryEntry } from "../../../runtime/ports/coordination.ts";
import { analyseRun, findMismatches } from "../../../runtime/guard/run-analysis.ts";
import { canaryStage, evaluateCanary } from "../../../runtime/ops/canary.ts";
import { bootFailed, ended, fleet, hostedJob, minute, prRun, status, t0 } from "../guard/fixtures.ts";

const variable = { value: "true", updatedAt: t0 - 24 * 60 * minute };
const second = 1000;

/** Trusted PR runs 1..n on the fleet, one minute apart, each with a VM that waited `waitS` and set up in `setupS`. */
function fleetRuns(n: number, o: { waitS?: (i: number) => number; setupS?: (i: number) => number } = {}) {
  const runs = [];
  const history: HistoryEntry[] = [];
  for (let i = 1; i <= n; i++) {
    const created = t0 + i * minute;
    runs.push(analyseRun(prRun(i, { createdAt: created }), { fleet, variable }));
    const queuedAt = created + second;
    const assigned = queuedAt + (o.waitS?.(i) ?? 5) * second;
    const requested = assigned - (o.setupS?.(i) ?? 30) * second - 10 * second;
    history.push(
      ended(`rf-h1-small-${String(i).padStart(8, "0")}`, "completed", { requested, online: requested + (o.setupS?.(i) ?? 30) * second, assigned, finished: assigned + second, tornDown: assigned + 2 * second }, {
        job: { id: i * 10, runId: i, repository: "acme/app", queuedAt, conclusion: "success" },
      }),
    );
  }
  return { runs: findMismatches(runs), history };
}

const now = t0 + 24 * 60 * minute;
const criteria = (report: ReturnType<typeof evaluateCanary>) => Object.fromEntries(report.criteria.map((c) => [c.name, [c.status, c.display]]));

describe("canary stage", () => {
  it("counts trusted PRs on the fleet against 1, 10, 25, then all", () => {
    expect(canaryStage(0)).toMatchObject({ reached: null, current: 1, label: "1 trusted PRs (0 of 1 so far)" });
    expect(canaryStage(1)).toMatchObject({ reached: 1, current: 10 });
    expect(canaryStage(9)).toMatchObject({ reached: 1, current: 10 });
    expect(canaryStage(10)).toMatchObject({ reached: 10, current: 25 });
    expect(canaryStage(25)).toMatchObject({ reached: 25, current: "all", label: "all trusted PRs (25 so far)" });
  });
});

describe("canary criteria", () => {
  it("pass when everything is within its target, and say where to go next", () => {
    const { runs, history } = fleetRuns(3);
    const report = evaluateCanary({ runs, statuses: [status({ now, history })] });
    expect(report.verdict).toBe("pass");
    expect(report.stage).toMatchObject({ trustedPrsOnFleet: 3, reached: 1, current: 10 });
    expect(criteria(report)).toEqual({
      "lifecycle-success": ["pass", "100.0% (3/3)"],
      "routing-correctness": ["pass", "100.0% (3/3)"],
      "queue-wait-p95": ["pass", "5.0s over 3 job(s)"],
      "setup-p95": ["pass", "30.0s over 3 job(s)"],
    });
    expect(report.next).toBe("criteria hold: continue the rollout to 10 trusted PRs (3 of 10 so far)");
  });

  it("in a coordinated fleet, counts jobs host B served when only host A's status is read, each once", () => {
    const { runs, history } = fleetRuns(3);
    // Run 3's job ran on h2; h1's status carries the coordinator's history (h1's jobs too).
    const copy = (host: string, e: HistoryEntry): FleetHistoryEntry => ({
      host,
      name: e.name,
      pool: e.pool,
      jobId: e.job!.id!,
      repository: e.job!.repository!,
      outcome: e.outcome,
      reason: e.reason,
      detail: e.detail,
      times: { ...e.times },
      endedAt: e.times.tornDown!,
    });
    const onB = { ...history[2]!, name: "rf-h2-small-00000003" };
    const fleetHistory = [copy("h2", onB), copy("h1", history[1]!), copy("h1", history[0]!)];
    const a = status({ host: "h1", now, history: history.slice(0, 2) });
    a.fleet = { hosts: [], claimsWaiting: 0, history: fleetHistory };
    const onlyA = criteria(evaluateCanary({ runs, statuses: [a] }));
    expect(onlyA["lifecycle-success"]).toEqual(["pass", "100.0% (3/3)"]);
    expect(onlyA["setup-p95"]).toEqual(["pass", "30.0s over 3 job(s)"]);
    // Without the coordinator's view host A alone knows 2 of the 3.
    expect(criteria(evaluateCanary({ runs, statuses: [status({ host: "h1", now, history: history.slice(0, 2) })] }))["lifecycle-success"]).toEqual(["pass", "100.0% (2/2)"]);
    const b = status({ host: "h2", now, history: [onB] });
    b.fleet = { hosts: [], claimsWaiting: 0, history: fleetHistory };
    expect(criteria(evaluateCanary({ runs, statuses: [a, b] }))).toEqual({ ...onlyA, "queue-wait-p95": ["pass", "5.0s over 3 job(s)"] });
  });

  it("holds lifecycle success at 98%: 49 of 50 passes, 48 of 50 fails", () => {
    const { runs, history } = fleetRuns(49);
    const one = [...history, bootFailed("rf-h1-small-0000ff01", t0 + 30 * minute)];
    expect(criteria(evaluateCanary({ runs, statuses: [status({ now, history: one })] }))["lifecycle-success"]).toEqual(["pass", "98.0% (49/50)"]);
    const two = [...history.slice(1), bootFailed("rf-h1-small-0000ff01", t0 + 30 * minute), bootFailed("rf-h1-small-0000ff02", t0 + 31 * minute)];
    const report = evaluateCanary({ runs, statuses: [status({ now, history: two })] });
    expect(criteria(report)["lifecycle-success"]).toEqual(["fail", "96.0% (48/50)"]);
    expect(report.verdict).toBe("fail");
    expect(report.next).toContain("lifecycle-success failing");
  });

  it("holds p95 queue wait at 120 s and p95 setup at 180 s", () => {
    const edge = fleetRuns(20, { waitS: (i) => (i === 20 ? 120 : 10), setupS: (i) => (i === 20 ? 180 : 20) });
    expect(evaluateCanary({ runs: edge.runs, statuses: [status({ now, history: edge.history })] }).verdict).toBe("pass");
    // p95 of 20 is the 19th value: two slow jobs are needed to move it.
    const over = fleetRuns(20, { waitS: (i) => (i >= 19 ? 121 : 10), setupS: (i) => (i >= 19 ? 181 : 20) });
    const report = evaluateCanary({ runs: over.runs, statuses: [status({ now, history: over.history })] });
    expect(criteria(report)["queue-wait-p95"]).toEqual(["fail", "2m01s over 20 job(s)"]);
    expect(criteria(report)["setup-p95"]).toEqual(["fail", "3m01s over 20 job(s)"]);
  });

  it("needs routing 100% correct: one trusted run that ran hosted fails it", () => {
    const { runs, history } = fleetRuns(5);
    const hosted = analyseRun(prRun(6, { createdAt: t0 + 6 * minute, jobs: [hostedJob(60)] }), { fleet, variable });
    const report = evaluateCanary({ runs: findMismatches([...runs, hosted]), statuses: [status({ now, history })] });
    expect(criteria(report)["routing-correctness"]).toEqual(["fail", "83.3% (5/6)"]);
  });

  it("judges only the latest 50 trusted runs", () => {
    const { runs, history } = fleetRuns(60, { waitS: (i) => (i <= 10 ? 600 : 5) });
    // Two hosts, so no status document's own 50-entry window hides the 10 oldest (slow) jobs.
    const statuses = [status({ host: "h1", now, history: history.slice(0, 30) }), status({ host: "h2", now, history: history.slice(30) })];
    const report = evaluateCanary({ runs, statuses });
    expect(report.sample.runs).toBe(50);
    expect(criteria(report)["queue-wait-p95"]).toEqual(["pass", "5.0s over 50 job(s)"]);
    expect(report.stage.current).toBe("all");
  });

  it("says so when there is not enough data", () => {
    expect(evaluateCanary({ runs: [], statuses: [] })).toMatchObject({ verdict: "insufficient-data", sample: { runs: 0, since: null } });
    // Runs on GitHub, but no controller to say how their jobs went.
    const { runs } = fleetRuns(3);
    const report = evaluateCanary({ runs, statuses: [] });
    expect(report.verdict).toBe("insufficient-data");
    expect(report.next).toContain("no data for lifecycle-success, queue-wait-p95, setup-p95");
  });
});
