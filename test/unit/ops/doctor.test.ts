/** `fleet doctor` against the emulator and the in-memory hypervisor, beside a live controller, and as the built bundle. */
import { access, readdir, rm, writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { stateDirs } from "../../../runtime/controller/naming.ts";
import { applyDoctorPlan } from "../../../runtime/ops/doctor-apply.ts";
import { runDoctor } from "../../../runtime/ops/host-doctor.ts";
import { opsGitHub } from "../../../runtime/ops/github-client.ts";
import { fleetLabels, startFleetHarness, trustedPullRequest, until, type FleetHarness } from "../../support/fleet-harness.ts";
import { configFile } from "../guard/emulator-support.ts";
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
const hour = 3_600_000;
const exists = (path: string) => access(path).then(() => true, () => false);

async function plantLeftovers(h: TestHost) {
  await h.addRecord(vm(1), "idle");
  await h.addDomain(vm(1), 5 * hour);
  await h.registerRunner(vm(1), true);
  await h.addDomain(vm(2), 2 * hour); // orphan, old
  await h.addDomain(vm(3), 60_000); // orphan, young
  await h.addOverlay(vm(4)); // orphan, no file: age unknown
  const oldSecret = await h.addFile("secret", vm(5), 2 * hour);
  const youngSecret = await h.addFile("secret", vm(6), 1_000);
  const logs = await Promise.all([7, 8, 9].map((n) => h.addFile("log", vm(n), n * hour)));
  await h.registerRunner(vm(10)); // offline, nothing local: stale
  await h.registerRunner(vm(11), true); // online without a VM: left alone
  return { oldSecret, youngSecret, logs };
}

describe("fleet doctor", () => {
  it("dry run lists leftovers and touches nothing; --apply removes exactly those", async () => {
    host = await startTestHost();
    const { oldSecret, youngSecret, logs } = await plantLeftovers(host);
    const options = { config: host.config, hypervisor: host.hypervisor, github: host.github, now: Date.now, minAgeMs: 30 * 60_000, keepLogs: 1 };
    const dry = await runDoctor({ ...options, apply: false });
    expect(dry.verdict).toBe("leftovers");
    const planned = dry.plan.remove.map((r) => `${r.kind} ${r.name}`);
    expect(planned).toEqual([`domain ${vm(2)}`, `secret ${vm(5)}`, `log ${vm(8)}`, `log ${vm(9)}`, `runner ${vm(10)}`]);
    expect(dry.plan.keep.map((k) => `${k.kind} ${k.name}`)).toEqual([`domain ${vm(3)}`, `overlay ${vm(4)}`, `secret ${vm(6)}`, `runner ${vm(11)}`]);
    expect((await host.hypervisor.listDomains("rf-h1-")).length).toBe(3);
    expect(host.runnerNames()).toEqual([vm(1), vm(10), vm(11)]);

    const applied = await runDoctor({ ...options, apply: true });
    expect(applied.verdict).toBe("cleaned");
    expect(applied.results!.every((r) => r.removed)).toBe(true);
    expect((await host.hypervisor.listDomains("rf-h1-")).map((d) => d.name)).toEqual([vm(1), vm(3)]);
    expect(host.runnerNames()).toEqual([vm(1), vm(11)]);
    expect([await exists(oldSecret), await exists(youngSecret)]).toEqual([false, true]);
    expect(await Promise.all(logs.map(exists))).toEqual([true, false, false]);
    expect(await host.hypervisor.listOverlays(stateDirs(host.stateDir).overlays, "rf-h1-")).toHaveLength(1);

    expect((await runDoctor({ ...options, apply: true })).verdict).toBe("clean");
  });

  it("reports as gone, not as removed or failed, what the controller removed between plan and removal", async () => {
    host = await startTestHost();
    await host.addDomain(vm(2), 2 * hour);
    const secret = await host.addFile("secret", vm(3), 2 * hour);
    const options = { config: host.config, hypervisor: host.hypervisor, github: host.github, now: Date.now, minAgeMs: 0, keepLogs: 0 };
    const dry = await runDoctor({ ...options, apply: false });
    // The controller's teardown finishes meanwhile.
    await host.hypervisor.removeDomain(vm(2));
    await rm(secret);
    const results = await applyDoctorPlan(dry.plan.remove, { config: host.config, hypervisor: host.hypervisor, github: host.github });
    expect(results.map((r) => [r.kind, r.removed, r.gone])).toEqual([
      ["domain", false, true],
      ["secret", false, true],
    ]);
  });

  it("leaves a leftover alone when its VM record appears between plan and removal", async () => {
    host = await startTestHost();
    await host.addDomain(vm(2), 2 * hour);
    const dry = await runDoctor({ config: host.config, hypervisor: host.hypervisor, github: host.github, now: Date.now, minAgeMs: 0, keepLogs: 0, apply: false });
    await host.addRecord(vm(2), "provisioning");
    const results = await applyDoctorPlan(dry.plan.remove, { config: host.config, hypervisor: host.hypervisor, github: host.github });
    expect(results).toEqual([expect.objectContaining({ kind: "domain", removed: false, error: expect.stringContaining("a VM record appeared") })]);
    expect(await host.hypervisor.listDomains("rf-h1-")).toHaveLength(1);
  });

  it("is safe beside a running controller: with --min-age 0 it removes nothing the controller is using", async () => {
    harness = await startFleetHarness();
    const { controller, emulator, config, hypervisor } = harness;
    const github = opsGitHub(config, { writeSpacingMs: 0 });
    // One real leftover: the serial log of a VM that failed long ago (controllers keep those).
    const oldLog = `${stateDirs(harness.stateDir).logs}/rf-h1-small-0000dead.log`;
    await writeFile(oldLog, "boot failed\n");
    const jobs = [1, 2, 3].map((i) => emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps: [{ name: "t", run: "sleep 0.3" }], event: trustedPullRequest(i) }));
    const removed: string[] = [];
    while (!jobs.every((j) => emulator.job(j.jobId)?.status === "completed")) {
      const report = await runDoctor({ config, hypervisor, github, now: Date.now, minAgeMs: 0, keepLogs: 0, apply: true });
      removed.push(...(report.results ?? []).filter((r) => r.removed).map((r) => `${r.kind} ${r.name}`));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const j of jobs) expect(emulator.job(j.jobId)?.conclusion).toBe("success");
    expect(removed).toEqual(["log rf-h1-small-0000dead"]);
    await until("a warm idle runner", () => controller.reconciler.lastResult()?.status.vms.some((vm) => vm.phase === "idle") ?? false);
  });

  it("as the built bundle: exit 3 with leftovers (dry run), 0 after --apply, 4 when GitHub is down, 2 on bad flags", async () => {
    host = await startTestHost();
    const secret = await host.addFile("secret", vm(5), 2 * hour);
    await host.registerRunner(vm(10));
    const file = await configFile(host.config, host.stateDir);
    const dry = await fleet(["doctor", "--config", file]);
    expect(dry.code).toBe(3);
    expect(dry.stdout).toContain(`would remove secret ${secret}: JIT config file without a VM record, 2h00m old`);
    expect(dry.stdout).toMatch(new RegExp(`would remove runner ${vm(10)} \\(id \\d+\\): offline registration with neither VM record nor domain`));
    expect(await exists(secret)).toBe(true);

    const applied = await fleet(["doctor", "--config", file, "--apply", "--min-age", "30m", "--json"]);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ verdict: "cleaned", results: [{ kind: "secret", removed: true }, { kind: "runner", removed: true }] });
    expect(await readdir(stateDirs(host.stateDir).secrets)).toEqual([]);
    expect(host.runnerNames()).toEqual([]);
    expect((await fleet(["doctor", "--config", file])).stdout).toContain("host h1: nothing to remove");

    host.emulator.setFaults({ serverError: { status: 503 } });
    const down = await fleet(["doctor", "--config", file, "--apply"]);
    expect([down.code, down.stdout]).toEqual([4, expect.stringContaining("GitHub unreachable")]);
    expect((await fleet(["doctor", "--config", file, "--min-age", "soon"])).code).toBe(2);
    expect((await fleet(["doctor", "--config", file, "--keep-logs", "-1"])).code).toBe(2);
  });
});
