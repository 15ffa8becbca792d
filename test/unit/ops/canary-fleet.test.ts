/** `fleet canary` against a real controller and the emulator, as the built bundle. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fleetLabels, startFleetHarness, trustedPullRequest, until, type FleetHarness } from "../../support/fleet-harness.ts";
import { routingOnSinceAMinute } from "../guard/emulator-support.ts";
import { closedPortUrl } from "./closed-port.ts";
import { fleet } from "./run-fleet.ts";

let harness: FleetHarness;
let config: string;
const criteria = (stdout: string) => Object.fromEntries((JSON.parse(stdout).criteria as { name: string; status: string }[]).map((c) => [c.name, c.status]));

beforeAll(async () => {
  harness = await startFleetHarness();
  routingOnSinceAMinute(harness.emulator);
  config = await harness.writeConfigFile();
});
afterAll(async () => {
  await harness?.controller.shutdown();
  await harness?.close();
});

describe("fleet canary", () => {
  it("exit 5 before any trusted run, 0 once trusted PRs ran well, 3 after an untrusted run reached the fleet, 4 with a controller unreachable", async () => {
    const empty = await fleet(["canary", "--config", config, "--controller", harness.controller.url]);
    expect(empty.code).toBe(5);
    expect(empty.stdout).toContain("stage: 1 trusted PRs (0 of 1 so far)");
    expect(empty.stdout).toContain("verdict: insufficient-data");

    const { emulator, controller } = harness;
    const jobs = [1, 2, 3].map((i) => emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps: [{ name: "t", run: "sleep 1" }], event: trustedPullRequest(i) }));
    await until("the jobs' VMs are gone", () => jobs.every((j) => controller.reconciler.lastResult()?.status.recentJobs.some((e) => e.job?.id === j.jobId) ?? false));
    const good = await fleet(["canary", "--config", config, "--controller", harness.controller.url, "--json"]);
    expect(good.stderr).toBe("");
    expect(good.code).toBe(0);
    const report = JSON.parse(good.stdout);
    expect(report).toMatchObject({ verdict: "pass", stage: { trustedPrsOnFleet: 3, reached: 1, current: 10 }, sample: { runs: 3 } });
    expect(criteria(good.stdout)).toEqual({ "lifecycle-success": "pass", "routing-correctness": "pass", "queue-wait-p95": "pass", "setup-p95": "pass" });

    // Without the controller, its jobs cannot be judged: exit 4, naming it.
    const dead = await fleet(["canary", "--config", config, "--controller", await closedPortUrl()]);
    expect(dead.code).toBe(4);
    expect(dead.stdout).toMatch(/controller http:\/\/127\.0\.0\.1:\d+ unreachable \(ECONNREFUSED\): its jobs are missing from the criteria/);

    const fork = { name: "pull_request", sender: { login: "mallory", type: "User" as const }, pullRequest: { number: 9, headRepository: "mallory/app" } };
    const untrusted = emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps: [{ name: "t", run: "sleep 1" }], event: fork });
    // Whether the controller's trust check refused it or not: GitHub shows it reached the fleet.
    await until("a fleet runner took it", () => (emulator.job(untrusted.jobId)?.runnerName ?? "").startsWith("rf-h1-"));
    const bad = await fleet(["canary", "--config", config, "--controller", harness.controller.url]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/FAIL\s+routing-correctness\s+75\.0% \(3\/4\)/);

    expect((await fleet(["canary", "--config", config, "--runs", "500"])).code).toBe(2);
  });
});
