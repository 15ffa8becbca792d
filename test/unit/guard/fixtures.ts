/** Plain-data fixtures for the guard's pure functions: status documents built by the controller's own builder. */
import { parseControllerConfig, type ControllerConfig } from "../../../runtime/config/controller-config.ts";
import { buildStatus, type StatusDocument } from "../../../runtime/controller/status-report.ts";
import type { HistoryEntry, VmRecord } from "../../../runtime/controller/vm-record.ts";
import type { RunFacts, RunJobFacts } from "../../../runtime/guard/run-analysis.ts";

export const t0 = Date.parse("2026-03-01T12:00:00Z");
export const minute = 60_000;
export const fleetLabels = ["self-hosted", "linux", "x64", "runner-fleet"];

export function testConfig(host = "h1"): ControllerConfig {
  return parseControllerConfig({
    host: { name: host, vcpus: 8, memoryMiB: 8192 },
    github: { scope: { kind: "org", org: "acme" }, repositories: ["acme/app"], runnerGroupId: 1, auth: { kind: "token", token: "ghp_fixture_token_0123456789" } },
    pools: [{ name: "small", labels: fleetLabels, min: 1, max: 3, vcpus: 1, memoryMiB: 512 }],
    image: { base: "/var/lib/base.qcow2", boot: { kind: "disk" } },
    network: { kind: "libvirt-network", network: "runner-fleet" },
  });
}

export function ended(name: string, reason: HistoryEntry["reason"], times: HistoryEntry["times"], extra: Partial<HistoryEntry> = {}): HistoryEntry {
  const outcome: HistoryEntry["outcome"] =
    reason === "completed" ? "success" : reason === "untrusted" ? "refused" : ["scale_down", "drain", "shutdown"].includes(reason) ? "unused" : "lost";
  return { name, pool: "small", outcome, reason, detail: "", times, ...extra };
}

/** A VM that came online at `online` and ran job `jobId` (queued at `queuedAt`, assigned at `assigned`). */
export function ranJob(name: string, o: { requested: number; online: number; queuedAt: number; assigned: number; jobId: number; runId?: number }): HistoryEntry {
  return ended(
    name,
    "completed",
    { requested: o.requested, started: o.requested + 500, online: o.online, assigned: o.assigned, finished: o.assigned + 1000, tornDown: o.assigned + 1500 },
    { job: { id: o.jobId, runId: o.runId ?? o.jobId + 1000, repository: "acme/app", queuedAt: o.queuedAt, conclusion: "success" } },
  );
}

export function bootFailed(name: string, at: number, reason: HistoryEntry["reason"] = "boot_timeout"): HistoryEntry {
  return ended(name, reason, { requested: at - 5000, started: at - 4000, tornDown: at });
}

export function status(o: { host?: string; now: number; history?: HistoryEntry[]; records?: VmRecord[]; lastPassAt?: number; startedAt?: number }): StatusDocument {
  const config = testConfig(o.host);
  return buildStatus({
    config,
    now: o.now,
    health: {
      startedAt: o.startedAt ?? o.now - 60 * minute,
      lastPassAt: o.lastPassAt ?? o.now,
      lastPassOk: true,
      lastError: undefined,
      githubOkAt: o.now,
      rateLimit: undefined,
      drainingSince: undefined,
      shuttingDownSince: undefined,
      setupProblems: [],
    },
    pools: [],
    used: { vcpus: 0, memoryMiB: 0 },
    records: o.records ?? [],
    history: o.history ?? [],
  });
}

export function job(id: number, o: Partial<RunJobFacts> = {}): RunJobFacts {
  return { id, labels: fleetLabels, status: "completed", conclusion: "success", runnerName: `rf-h1-small-${String(id).padStart(8, "0")}`, createdAt: t0, ...o };
}

export function hostedJob(id: number, o: Partial<RunJobFacts> = {}): RunJobFacts {
  return { id, labels: ["ubuntu-latest"], status: "completed", conclusion: "success", runnerName: `GitHub Actions ${id}`, createdAt: t0, ...o };
}

/** A same-repository pull request run by a MEMBER (trusted), with one job on the fleet. */
export function prRun(runId: number, o: Partial<RunFacts> = {}): RunFacts {
  return {
    repository: "acme/app",
    runId,
    workflow: ".github/workflows/ci.yml",
    workflowName: "CI",
    event: "pull_request",
    createdAt: t0,
    status: "completed",
    conclusion: "success",
    repositoryId: 10,
    defaultBranch: "main",
    headRepository: { id: 10, fullName: "acme/app" },
    headBranch: `pr-${runId}`,
    actor: { login: "octocat", type: "User" },
    pullRequest: { number: runId, authorAssociation: "MEMBER" },
    jobs: [job(runId * 10)],
    ...o,
  };
}

export const fleet = { runnerPrefix: "rf-", poolLabels: [fleetLabels] };
