/** `fleet drain` / `fleet resume` against a real controller (the harness), as the built bundle. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainOrResume } from "../../../runtime/ops/drain.ts";
import { adminToken, fleetLabels, startFleetHarness, trustedPullRequest, until, type FleetHarness } from "../../support/fleet-harness.ts";
import { closedPortUrl } from "./closed-port.ts";
import { fleet } from "./run-fleet.ts";

let harness: FleetHarness;
let tokenFile: string;
let wrongTokenFile: string;
const status = () => harness.controller.reconciler.lastResult()?.status;

beforeAll(async () => {
  harness = await startFleetHarness();
  tokenFile = join(harness.stateDir, "admin-token");
  await writeFile(tokenFile, `${adminToken}\n`, { mode: 0o600 });
  wrongTokenFile = join(harness.stateDir, "wrong-token");
  await writeFile(wrongTokenFile, "not-the-admin-token-0123456789", { mode: 0o600 });
  await until("a warm idle runner", () => status()?.vms.some((vm) => vm.phase === "idle") ?? false);
});
afterAll(async () => {
  await harness?.controller.shutdown();
  await harness?.close();
});

describe("fleet drain and resume", () => {
  it("dry run says what would happen and changes nothing; no token needed", async () => {
    const result = await fleet(["drain", "--controller", harness.controller.url, "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^would drain h1: no new jobs; 0 busy VM\(s\) finish their jobs; 1 idle or starting VM\(s\) are removed\n$/);
    expect(status()?.controller.draining).toBe(false);
  });

  it("refuses without a token, with the token as an argument, and with a world-readable token file (exit 2)", async () => {
    const none = await fleet(["drain", "--controller", harness.controller.url]);
    expect([none.code, none.stderr]).toEqual([2, expect.stringContaining("no admin token: pass --token-file FILE or set FLEET_ADMIN_TOKEN")]);
    const argv = await fleet(["drain", "--controller", harness.controller.url, `--token=${adminToken}`]);
    expect([argv.code, argv.stderr]).toEqual([2, expect.stringContaining("--token is not accepted")]);
    const open = join(harness.stateDir, "open-token");
    await writeFile(open, adminToken, { mode: 0o644 });
    expect((await fleet(["drain", "--controller", harness.controller.url, "--token-file", open])).stderr).toContain("lets other users read the token");
  });

  it("exits 5 when the controller refuses the token, 4 when it is unreachable", async () => {
    const wrong = await fleet(["drain", "--controller", harness.controller.url, "--token-file", wrongTokenFile]);
    expect([wrong.code, wrong.stderr]).toEqual([5, "drain h1: the controller refused the admin token\n"]);
    expect(status()?.controller.draining).toBe(false);
    const dead = await fleet(["resume", "--controller", await closedPortUrl(), "--token-file", tokenFile]);
    expect([dead.code, dead.stderr]).toEqual([4, expect.stringContaining("ECONNREFUSED")]);
  });

  it("drains while a job runs: --wait returns once the busy VM finished its job; resume brings the warm pool back", async () => {
    const job = harness.emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps: [{ name: "work", run: "sleep 1" }], event: trustedPullRequest(1) });
    await until("the job is running", () => status()?.vms.some((vm) => vm.phase === "busy") ?? false);
    const drained = await fleet(["drain", "--controller", harness.controller.url, "--token-file", tokenFile, "--wait", "--json"]);
    expect(drained.code).toBe(0);
    const result = JSON.parse(drained.stdout);
    expect(result).toMatchObject({ outcome: "done", before: { host: "h1", busy: 1, draining: false }, after: { draining: true, busy: 0 } });
    expect(harness.emulator.job(job.jobId)).toMatchObject({ status: "completed", conclusion: "success" });
    expect(status()?.pools[0]?.held).toBe("draining");

    const resumed = await fleet(["resume", "--controller", harness.controller.url, "--wait"], { FLEET_ADMIN_TOKEN: adminToken });
    expect([resumed.code, resumed.stdout]).toEqual([0, "resumed h1: taking jobs again\n"]);
    await until("a warm idle runner again", () => status()?.vms.some((vm) => vm.phase === "idle") ?? false);
  });

  it("--wait gives up after --wait-timeout with exit 3 while a job still runs", async () => {
    harness.emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, steps: [{ name: "work", run: "sleep 4" }], event: trustedPullRequest(2) });
    await until("the job is running", () => status()?.vms.some((vm) => vm.phase === "busy") ?? false);
    // Ctrl-C during --wait ends the wait at once; the drain itself was requested.
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 100);
    const seen: number[] = [];
    const onWaiting = (host: { busy: number }) => seen.push(host.busy);
    const stopped = await drainOrResume({ url: harness.controller.url, action: "drain", token: adminToken, dryRun: false, wait: true, waitTimeoutMs: 60_000, signal: interrupt.signal, onWaiting });
    expect(stopped).toMatchObject({ outcome: "timeout", message: expect.stringContaining("(stopped waiting)") });
    // What the progress line on a terminal shows while it waits.
    expect(seen).toContain(1);
    const result = await fleet(["drain", "--controller", harness.controller.url, "--token-file", tokenFile, "--wait", "--wait-timeout", "300ms"]);
    expect([result.code, result.stderr]).toEqual([3, expect.stringMatching(/^draining h1, but 1 VM\(s\) still busy after \d+ s \(timed out\)\n$/)]);
    await drainOrResume({ url: harness.controller.url, action: "resume", token: adminToken, dryRun: false, wait: true, waitTimeoutMs: 10_000, pollMs: 50 });
    expect((await fleet(["drain", "--controller", harness.controller.url, "--wait-timeout", "soon", "--dry-run"])).code).toBe(2);
  });

  it("exits 5 when the controller has no admin endpoints", async () => {
    const bare = await startFleetHarness({ config: { adminToken: undefined } });
    try {
      await until("a first pass", () => bare.controller.reconciler.lastResult() !== undefined);
      const result = await drainOrResume({ url: bare.controller.url, action: "drain", token: adminToken, dryRun: false, wait: false, waitTimeoutMs: 0 });
      expect(result).toMatchObject({ outcome: "refused", message: "drain h1: the controller's admin endpoints are disabled (no adminToken in its config)" });
    } finally {
      await bare.controller.shutdown();
      await bare.close();
    }
  });
});
