/** The guard's job evidence is the fleet's: in a coordinated fleet it sees hosts it does not watch, each VM once. */
import { describe, expect, it } from "vitest";
import type { StatusDocument } from "../../../runtime/controller/status-report.ts";
import type { HistoryEntry } from "../../../runtime/controller/vm-record.ts";
import { evaluateTriggers } from "../../../runtime/guard/evaluate.ts";
import { controllerEvidence } from "../../../runtime/guard/evidence.ts";
import { defaultGuardConfig } from "../../../runtime/guard/guard-config.ts";
import type { FleetHistoryEntry } from "../../../runtime/ports/coordination.ts";
import { bootFailed, minute, ranJob, status, t0 } from "./fixtures.ts";

const settings = { ...defaultGuardConfig, thresholds: { ...defaultGuardConfig.thresholds, consecutiveBootFailures: 2 } };

/** How the coordinator stores a host's finished VM (fleet-link.ts writes it from the same entry). */
function copy(host: string, entry: HistoryEntry): FleetHistoryEntry {
  const end = entry.times.tornDown ?? entry.times.requested;
  const out: FleetHistoryEntry = { host, name: entry.name, pool: entry.pool, outcome: entry.outcome, reason: entry.reason, detail: entry.detail, times: { ...entry.times }, endedAt: end };
  if (entry.job?.id !== undefined) out.jobId = entry.job.id;
  if (entry.job?.repository !== undefined) out.repository = entry.job.repository;
  return out;
}

const h1Ran = ranJob("rf-h1-small-00000001", { requested: t0 - 10 * minute, online: t0 - 9 * minute, queuedAt: t0 - 9 * minute, assigned: t0 - 8 * minute, jobId: 1 });
const h2Failed = [bootFailed("rf-h2-small-00000001", t0 - 3 * minute), bootFailed("rf-h2-small-00000002", t0 - 2 * minute, "jit_error")];
const h2Refused: HistoryEntry = {
  ...bootFailed("rf-h2-small-00000003", t0 - minute),
  reason: "untrusted",
  outcome: "refused",
  job: { id: 9, repository: "acme/app" },
};
const fleetHistory = [copy("h1", h1Ran), ...[...h2Failed, h2Refused].map((e) => copy("h2", e))];

function doc(host: string, history: HistoryEntry[], coordinated: boolean): StatusDocument {
  const s = status({ host, now: t0, history });
  if (coordinated) s.fleet = { hosts: [], claimsWaiting: 0, history: fleetHistory };
  return s;
}

const observe = (...docs: StatusDocument[]) => controllerEvidence(docs.map((d) => ({ url: `http://${d.host}:8080`, host: d.host, status: d })));
const bootTrigger = (docs: StatusDocument[]) => evaluateTriggers({ ...observe(...docs), runs: [] }, settings, t0, undefined).find((t) => t.kind === "boot-failures");

describe("guard evidence from the fleet-wide history", () => {
  it("watching only h1, trips on h2's boot failures when coordinated, not without coordination", () => {
    expect(bootTrigger([doc("h1", [h1Ran], true)])?.message).toBe("host h2: the last 2 runner boots failed (rf-h2-small-00000001 boot_timeout, rf-h2-small-00000002 jit_error)");
    expect(bootTrigger([doc("h1", [h1Ran], false)])).toBeUndefined();
  });

  it("watching only h1, sees the job h2 refused", () => {
    expect(observe(doc("h1", [h1Ran], true)).refusals).toEqual([{ host: "h2", vm: "rf-h2-small-00000003", at: t0 - minute, repository: "acme/app" }]);
    expect(observe(doc("h1", [h1Ran], false)).refusals).toEqual([]);
  });

  it("watching h1 and h2, counts each VM once though both report it", () => {
    const evidence = observe(doc("h1", [h1Ran], true), doc("h2", [...h2Failed, h2Refused], true));
    expect(evidence.bootAttempts.map((a) => `${a.host}/${a.vm}/${a.ok}`)).toEqual(["h1/rf-h1-small-00000001/true", "h2/rf-h2-small-00000001/false", "h2/rf-h2-small-00000002/false"]);
    expect(evidence.refusals).toHaveLength(1);
    expect(evidence.queueSamples.map((s) => s.key)).toEqual(["acme/app#1"]);
  });
});
