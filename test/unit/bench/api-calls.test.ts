import { describe, expect, it } from "vitest";
import { ApiCallLog, projectHourlyUse, routeOf, splitCalls } from "../../../bench/api-calls.ts";
import { burstRuns } from "../../../bench/fleet-scenario.ts";
import type { HttpExchange } from "../../../runtime/emulator/exchange.ts";

const exchange = (method: string, path: string, query: Record<string, string> = {}): HttpExchange => ({
  method,
  path,
  query,
  requestBody: undefined,
  status: 200,
  responseHeaders: {},
  responseBody: undefined,
});

describe("routeOf", () => {
  it.each([
    ["POST", "/orgs/acme/actions/runners/generate-jitconfig", "POST /orgs/{org}/actions/runners/generate-jitconfig"],
    ["GET", "/repos/acme/app/actions/runs/42/jobs", "GET /repos/{owner}/{repo}/actions/runs/{id}/jobs"],
    ["GET", "/repos/acme/app/actions/runs/42", "GET /repos/{owner}/{repo}/actions/runs/{id}"],
    ["DELETE", "/orgs/acme/actions/runners/7", "DELETE /orgs/{org}/actions/runners/{id}"],
    ["POST", "/app/installations/3/access_tokens", "POST /app/installations/{id}/access_tokens"],
  ])("%s %s → %s", (method, path, route) => {
    expect(routeOf({ method, path })).toBe(route);
  });
});

describe("ApiCallLog", () => {
  it("counts only while on, and groups each queued-jobs poll with the runs it read", () => {
    const log = new ApiCallLog();
    log.listener(exchange("GET", "/orgs/acme/actions/runners"));
    log.start();
    for (const e of [
      exchange("GET", "/repos/acme/app/actions/runs", { status: "queued" }),
      exchange("GET", "/repos/acme/app/actions/runs", { status: "in_progress" }),
      exchange("GET", "/repos/acme/app/actions/runs/1/jobs"),
      exchange("GET", "/repos/acme/app/actions/runs/2/jobs"),
      exchange("GET", "/repos/acme/app/actions/runs/2"),
      exchange("GET", "/repos/acme/app/actions/runs", { status: "queued" }),
      exchange("GET", "/repos/acme/app/actions/runs", { status: "in_progress" }),
    ]) {
      log.listener(e);
    }
    const { calls, polls } = log.stop();
    log.listener(exchange("GET", "/orgs/acme/actions/runners"));
    expect(polls).toEqual([
      { runs: 2, calls: 4 },
      { runs: 0, calls: 2 },
    ]);
    expect([...calls.values()].reduce((a, b) => a + b, 0)).toBe(7);
    expect(calls.has("GET /orgs/{org}/actions/runners")).toBe(false);
  });
});

describe("splitCalls and the hourly projection", () => {
  it("divides all calls by jobs and separates what jobs cause from polling", () => {
    const calls = new Map([
      ["POST /orgs/{org}/actions/runners/generate-jitconfig", 20],
      ["GET /repos/{owner}/{repo}/actions/runs/{id}", 8],
      ["GET /orgs/{org}/actions/runners", 12],
    ]);
    expect(splitCalls(calls, 20, 180_000)).toEqual({ total: 40, perJob: 2, causedPerJob: 1.4, backgroundPerMinute: 4 });
  });

  it.each([
    { causedPerJob: 1.4, runsPerPoll: 5, total: 1400 + 240 + 60 * 7 + 1 },
    { causedPerJob: 4.5, runsPerPoll: 20, total: 4500 + 240 + 60 * 22 + 1 },
  ])("at 1000 jobs/h, $causedPerJob calls per job and $runsPerPoll runs per poll: $total calls/h", ({ causedPerJob, runsPerPoll, total }) => {
    const p = projectHourlyUse({ jobsPerHour: 1000, causedPerJob, runsPerPoll, reconcileSeconds: 15, jobPollSeconds: 60, limit: 5000 });
    expect(p.total).toBeCloseTo(total);
    expect(p.headroom).toBeCloseTo(5000 - total);
    // At the runs per poll where the limit is reached, the headroom is zero.
    const atLimit = projectHourlyUse({ jobsPerHour: 1000, causedPerJob, runsPerPoll: p.runsPerPollAtLimit, reconcileSeconds: 15, jobPollSeconds: 60, limit: 5000 });
    expect(atLimit.headroom).toBeCloseTo(0);
  });
});

describe("burstRuns", () => {
  it.each([20, 7, 1])("splits %i jobs into runs of 1 to 5, alternating pools", (jobs) => {
    const runs = burstRuns(jobs);
    expect(runs.reduce((sum, r) => sum + r.size, 0)).toBe(jobs);
    expect(runs.every((r) => r.size >= 1 && r.size <= 5)).toBe(true);
    expect(runs.map((r) => r.big)).toEqual(runs.map((_, i) => i % 2 === 1));
  });
});
