/** The fleet-wide view of recent jobs: each host's own history merged with the coordinator's, each VM once. */
import { describe, expect, it } from "vitest";
import type { StatusDocument } from "../../../runtime/controller/status-report.ts";
import type { HistoryEntry } from "../../../runtime/controller/vm-record.ts";
import type { FleetHistoryEntry } from "../../../runtime/ports/coordination.ts";
import { fleetJobEnds } from "../../../runtime/controller/fleet-history.ts";
import { renderFleetStatus } from "../../../runtime/ops/fleet-status.ts";
import { ended, status, t0 } from "../guard/fixtures.ts";

const own = (name: string, at: number): HistoryEntry =>
  ended(name, "completed", { requested: at - 60_000, online: at - 40_000, tornDown: at }, { job: { id: at, runId: 7, repository: "acme/app", queuedAt: at - 50_000 } });

const copy = (host: string, name: string, at: number): FleetHistoryEntry => ({
  host,
  name,
  pool: "small",
  jobId: at,
  repository: "acme/app",
  outcome: "success",
  reason: "completed",
  detail: "",
  times: { requested: at - 60_000, online: at - 40_000, tornDown: at },
  endedAt: at,
});

function doc(host: string, history: HistoryEntry[], fleet?: FleetHistoryEntry[]): StatusDocument {
  const s = status({ host, now: t0, history });
  if (fleet) s.fleet = { hosts: [], claimsWaiting: 0, history: fleet };
  return s;
}

const a1 = t0 - 3_000;
const b1 = t0 - 2_000;
const c1 = t0 - 1_000;

describe("fleetJobEnds", () => {
  it.each([
    { case: "one host, not coordinated: its own history", statuses: () => [doc("h1", [own("rf-h1-a", a1)])], want: ["h1/rf-h1-a"] },
    { case: "two hosts, not coordinated: both histories", statuses: () => [doc("h1", [own("rf-h1-a", a1)]), doc("h2", [own("rf-h2-b", b1)])], want: ["h1/rf-h1-a", "h2/rf-h2-b"] },
    {
      case: "coordinated, one status read: other hosts' jobs come from the coordinator",
      statuses: () => [doc("h1", [own("rf-h1-a", a1)], [copy("h3", "rf-h3-c", c1), copy("h2", "rf-h2-b", b1), copy("h1", "rf-h1-a", a1)])],
      want: ["h1/rf-h1-a", "h2/rf-h2-b", "h3/rf-h3-c"],
    },
    {
      case: "coordinated, every status read: each VM counts once",
      statuses: () => {
        const all = [copy("h2", "rf-h2-b", b1), copy("h1", "rf-h1-a", a1)];
        return [doc("h1", [own("rf-h1-a", a1)], all), doc("h2", [own("rf-h2-b", b1)], all)];
      },
      want: ["h1/rf-h1-a", "h2/rf-h2-b"],
    },
    {
      case: "the same VM name on two hosts is two VMs",
      statuses: () => [doc("h1", [own("rf-x", a1)], [copy("h2", "rf-x", b1), copy("h1", "rf-x", a1)])],
      want: ["h1/rf-x", "h2/rf-x"],
    },
  ])("$case", ({ statuses, want }) => {
    expect(fleetJobEnds(statuses()).map((e) => `${e.host}/${e.name}`)).toEqual(want);
  });

  it("keeps a host's own entry (with the job's run and queue time) over the coordinator's copy", () => {
    const [end] = fleetJobEnds([doc("h1", [own("rf-h1-a", a1)], [copy("h1", "rf-h1-a", a1)])]);
    expect(end).toMatchObject({ host: "h1", job: { id: a1, runId: 7, queuedAt: a1 - 50_000 } });
  });

  it("gives the coordinator's copy the same phase figures a host's own status would", () => {
    const [end] = fleetJobEnds([doc("h1", [], [copy("h2", "rf-h2-b", b1)])]);
    expect(end).toMatchObject({ host: "h2", outcome: "success", job: { id: b1, repository: "acme/app" }, times: { requested: b1 - 60_000, tornDown: b1 } });
    expect(end!.phasesMs).toEqual(status({ host: "h2", now: t0, history: [own("rf-h2-b", b1)] }).recentJobs[0]!.phasesMs);
  });
});

describe("fleet status's recent jobs", () => {
  it("lists a job another host served, from the one controller it was given", () => {
    const text = renderFleetStatus({ verdict: "healthy", controllers: [{ url: "http://h1:8080", reachable: true, status: doc("h1", [own("rf-h1-a", a1)], [copy("h2", "rf-h2-b", b1), copy("h1", "rf-h1-a", a1)]) }] }, t0);
    const jobs = text.slice(text.indexOf("recent jobs")).split("\n").slice(2, 4).map((line) => line.trim().split(/\s+/).slice(0, 2));
    expect(jobs).toEqual([["h1", "rf-h1-a"], ["h2", "rf-h2-b"]]);
  });
});
