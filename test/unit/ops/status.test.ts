/** `fleet status` against a real controller (the harness) and an unreachable one, as the built bundle. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { controllersFromStackOutputs } from "../../../runtime/ops/stack-outputs.ts";
import { readFleetStatus } from "../../../runtime/ops/fleet-status.ts";
import { fleetLabels, startFleetHarness, trustedPullRequest, until, type FleetHarness } from "../../support/fleet-harness.ts";
import { closedPortUrl } from "./closed-port.ts";
import { fleet } from "./run-fleet.ts";

let harness: FleetHarness;
let dead: string;

beforeAll(async () => {
  dead = await closedPortUrl();
  harness = await startFleetHarness();
  const { emulator, controller } = harness;
  const job = emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps: [{ name: "t", run: "sleep 0.5" }], event: trustedPullRequest(1) });
  await until("the job ran and its VM is gone", () => controller.reconciler.lastResult()?.status.recentJobs.some((j) => j.job?.id === job.jobId) ?? false);
  await until("a warm idle runner", () => controller.reconciler.lastResult()?.status.vms.some((vm) => vm.phase === "idle") ?? false);
});
afterAll(async () => {
  // Remove the VMs first: an abandoned idle guest would keep polling forever.
  await harness?.controller.shutdown();
  await harness?.close();
});

describe("fleet status", () => {
  it("shows a healthy controller's pools, VMs and recent jobs with phase timings, exit 0", async () => {
    const human = await fleet(["status", "--controller", harness.controller.url]);
    expect(human.stderr).toBe("");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^HOST\s+CONTROLLER\s+STATE/);
    expect(human.stdout).toMatch(/h1\s+http:\/\/127\.0\.0\.1:\d+\s+healthy/);
    expect(human.stdout).toMatch(/rf-h1-small-[0-9a-f]{8}\s+small\s+idle/);
    expect(human.stdout).toMatch(/acme\/app#\d+\s+success\s+completed/);
    expect(human.stdout).toContain("verdict: healthy");

    const json = await fleet(["status", "--controller", `${harness.controller.url}/status`, "--json"]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.verdict).toBe("healthy");
    expect(report.controllers[0]).toMatchObject({ url: harness.controller.url, name: "h1", reachable: true, health: { healthy: true, problems: [] } });
    const ran = report.controllers[0].status.recentJobs.find((j: { outcome: string }) => j.outcome === "success");
    expect(ran.phasesMs.boot).toBeGreaterThanOrEqual(0);
    expect(ran.queueWaitMs).toBeGreaterThanOrEqual(0);
  });

  it("reads every host of the stack's outputs and exits 4 when one is unreachable", async () => {
    const outputs = join(harness.stateDir, "outputs.json");
    await writeFile(outputs, JSON.stringify({ hosts: [{ name: "h1", statusUrl: `${harness.controller.url}/status` }, { name: "h2", statusUrl: `${dead}/status` }], labelSet: [] }));
    const result = await fleet(["status", "--stack-outputs", outputs, "--json"]);
    expect(result.code).toBe(4);
    const report = JSON.parse(result.stdout);
    expect(report.verdict).toBe("unreachable");
    expect(report.controllers.map((c: { name: string; reachable: boolean }) => [c.name, c.reachable])).toEqual([
      ["h1", true],
      ["h2", false],
    ]);
    expect(report.controllers[1].error).toContain("ECONNREFUSED");
  });

  it("rejects bad flags and stack outputs with exit 2, naming the problem", async () => {
    expect((await fleet(["status"])).stderr).toContain("name the controllers");
    const badUrl = await fleet(["status", "--controller", "ftp://x"]);
    expect([badUrl.code, badUrl.stderr]).toEqual([2, expect.stringContaining('--controller: "ftp://x" is not an http(s) URL')]);
    const outputs = join(harness.stateDir, "bad-outputs.json");
    await writeFile(outputs, JSON.stringify({ hosts: [{ name: "h1" }] }));
    const bad = await fleet(["status", "--stack-outputs", outputs]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining("hosts[0].statusUrl: expected a URL")]);
    expect((await fleet(["status", "--controller", harness.controller.url, "--bogus"])).code).toBe(2);
  });

  it("names the field a stack output lacks", () => {
    expect(() => controllersFromStackOutputs({})).toThrow("hosts: expected the stack's hosts output");
    expect(() => controllersFromStackOutputs({ hosts: [{ statusUrl: "http://x/status" }] })).toThrow("hosts[0].name");
    expect(controllersFromStackOutputs({ hosts: [{ name: "a", statusUrl: "http://10.0.0.1:8080/status" }] })).toEqual([{ name: "a", url: "http://10.0.0.1:8080" }]);
  });

  it("reports a controller whose reconcile loop fails as degraded (exit 3)", async () => {
    // libvirt stops answering: every pass fails at its first observation.
    const listDomains = harness.hypervisor.listDomains;
    harness.hypervisor.listDomains = async () => {
      throw new Error("failed to connect to the hypervisor");
    };
    await until("the controller reports the failing pass", async () => (await readFleetStatus([{ url: harness.controller.url }])).verdict === "degraded");
    const result = await fleet(["status", "--controller", harness.controller.url]);
    harness.hypervisor.listDomains = listDomains;
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/h1: last reconcile pass failed: failed to connect to the hypervisor/);
    expect(result.stdout).toContain("verdict: degraded");
  });
});
