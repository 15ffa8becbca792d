// The runner listener: the runner protocol on a listener of its own, the only part of the
// emulator a guest may reach. Everything else there is 404; the main listener no longer serves
// the runner protocol; the admin API answers loopback peers only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopbackPeer } from "../../../runtime/emulator/server.ts";
import { startCheckedEmulator, type CheckedEmulator } from "../../support/checked-emulator.ts";
import { ProtocolRunner } from "../../support/protocol-runner.ts";

let lab: CheckedEmulator;

beforeAll(async () => {
  lab = await startCheckedEmulator({ runnerListener: { host: "127.0.0.1" } });
});
afterAll(async () => {
  await lab.close();
});

async function newRunner(): Promise<ProtocolRunner> {
  const { data } = await lab.installationClient("acme").rest.actions.generateRunnerJitconfigForOrg({
    org: "acme",
    name: "rf-listener-1",
    runner_group_id: 1,
    labels: ["rf-small"],
  });
  return new ProtocolRunner(data.encoded_jit_config);
}

describe("the runner listener", () => {
  it("is where JIT configs send runners, and the runner protocol works there", async () => {
    const { emulator } = lab;
    const listener = emulator.runnerListener!;
    expect(listener.port).not.toBe(emulator.port);
    expect(emulator.runnerUrl).toBe(`http://127.0.0.1:${listener.port}/_runner`);
    const runner = await newRunner();
    expect(runner.serverUrl).toBe(emulator.runnerUrl);
    const { jobId } = emulator.enqueueJob({ repository: "acme/app", labels: ["rf-small"], steps: [{ name: "s", run: "true" }] });
    expect(await runner.connect()).toBe(201);
    expect((await runner.poll(5))?.jobId).toBe(jobId);
  });

  it.each([
    ["GET", "/_emulator/state"],
    ["POST", "/_emulator/jobs"],
    ["DELETE", "/_emulator/faults"],
    ["GET", "/orgs/acme/actions/runners"],
    ["POST", "/api/v3/orgs/acme/actions/runners/generate-jitconfig"],
    ["GET", "/api/v3/_runner/sessions"],
    ["GET", "/"],
  ])("answers %s %s with 404: it serves nothing but the runner protocol", async (method, path) => {
    const response = await fetch(`http://127.0.0.1:${lab.emulator.runnerListener!.port}${path}`, { method });
    expect(response.status).toBe(404);
  });

  it("is the only listener serving the runner protocol", async () => {
    const runner = new ProtocolRunner((await newRunnerConfig()).encoded_jit_config, `${lab.emulator.url}/_runner`);
    expect(await runner.connect()).toBe(404);
  });
});

async function newRunnerConfig() {
  const { data } = await lab.installationClient("acme").rest.actions.generateRunnerJitconfigForOrg({
    org: "acme",
    name: "rf-listener-2",
    runner_group_id: 1,
    labels: ["rf-small"],
  });
  return data;
}

describe("isLoopbackPeer (the admin API's gate)", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.3.2.1", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["10.215.7.10", false],
    ["::ffff:10.215.7.10", false],
    ["fe80::1", false],
    ["1270.0.0.1", false],
    [undefined, false],
  ])("%s → %s", (address, loopback) => {
    expect(isLoopbackPeer(address)).toBe(loopback);
  });
});
