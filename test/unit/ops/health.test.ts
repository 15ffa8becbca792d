/** `fleet health`: a real controller (the harness) in-process, planted leftovers, and the built bundle's exit codes. */
import { afterEach, describe, expect, it } from "vitest";
import { opsGitHub } from "../../../runtime/ops/github-client.ts";
import { checkHostHealth } from "../../../runtime/ops/host-health.ts";
import { startFleetHarness, until, type FleetHarness } from "../../support/fleet-harness.ts";
import { configFile } from "../guard/emulator-support.ts";
import { closedPortUrl } from "./closed-port.ts";
import { startTestHost, vm, type TestHost } from "./host-fixture.ts";
import { fleet } from "./run-fleet.ts";

let host: TestHost | undefined;
let harness: FleetHarness | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
  await harness?.controller.shutdown();
  await harness?.close();
  harness = undefined;
});

describe("fleet health", () => {
  it("finds a running controller's host consistent with GitHub", async () => {
    harness = await startFleetHarness();
    const { controller, config, hypervisor } = harness;
    await until("a warm idle runner", () => controller.reconciler.lastResult()?.status.vms.some((vm) => vm.phase === "idle") ?? false);
    const report = await checkHostHealth({ config, hypervisor, github: opsGitHub(config), controllerUrl: controller.url, strict: true });
    expect(report).toMatchObject({ verdict: "healthy", findings: [], controller: { reachable: true, healthy: true }, github: { reachable: true, runners: 1 } });
    expect(report.local).toMatchObject({ records: 1, domains: 1 });
  });

  it("reports local problems as degraded and GitHub-side anomalies only with --strict", async () => {
    host = await startTestHost();
    const options = { config: host.config, hypervisor: host.hypervisor, github: host.github, strict: false };
    await host.registerRunner(vm(10));
    const githubOnly = await checkHostHealth(options);
    expect(githubOnly).toMatchObject({ verdict: "healthy", findings: [{ code: "runner-without-vm", side: "github" }] });
    expect((await checkHostHealth({ ...options, strict: true })).verdict).toBe("degraded");

    await host.addRecord(vm(1), "idle");
    await host.addDomain(vm(1), 1_000);
    await host.addDomain(vm(2), 1_000);
    await host.addFile("secret", vm(3), 1_000);
    const report = await checkHostHealth(options);
    expect(report.verdict).toBe("degraded");
    expect(report.findings.map((f) => `${f.side} ${f.code} ${f.subject}`)).toEqual([
      `local vm-without-runner ${vm(1)}`,
      `local domain-without-record ${vm(2)}`,
      `local orphan-secret ${vm(3)}`,
      `github runner-without-vm ${vm(10)}`,
    ]);
  });

  it("as the built bundle: 0 healthy, 3 degraded (--strict), 4 controller or GitHub unreachable, 2 bad config", async () => {
    host = await startTestHost();
    const file = await configFile(host.config, host.stateDir);
    const healthy = await fleet(["health", "--config", file, "--no-controller"]);
    expect([healthy.code, healthy.stderr]).toEqual([0, ""]);
    expect(healthy.stdout).toContain("host h1: healthy\nGitHub: 0 runner(s) with this host's prefix");

    await host.registerRunner(vm(10));
    expect((await fleet(["health", "--config", file, "--no-controller"])).code).toBe(0);
    const strict = await fleet(["health", "--config", file, "--no-controller", "--strict", "--json"]);
    expect(strict.code).toBe(3);
    expect(JSON.parse(strict.stdout).findings).toEqual([{ code: "runner-without-vm", side: "github", subject: vm(10), message: expect.stringContaining("has no VM record or domain here") }]);

    const dead = await fleet(["health", "--config", file, "--controller", await closedPortUrl()]);
    expect([dead.code, dead.stdout]).toEqual([4, expect.stringMatching(/controller http:\/\/127\.0\.0\.1:\d+: unreachable \(ECONNREFUSED\)/)]);
    host.emulator.setFaults({ tooManyRequests: { retryAfterSeconds: 300 } });
    const limited = await fleet(["health", "--config", file, "--no-controller"]);
    expect([limited.code, limited.stdout]).toEqual([4, expect.stringContaining("GitHub: unreachable")]);
    expect((await fleet(["health", "--config", `${host.stateDir}/nope.json`])).code).toBe(2);
  });
});
