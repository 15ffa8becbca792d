// A job's life in the emulator: enqueue, assignment by labels, the runner protocol, timeouts,
// and the signed workflow_job webhooks each step sends (checked against GitHub's webhook schemas
// and read back through the controller's own verification and parsing).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../../runtime/emulator/server.ts";
import { createWorkflowJobVerifier, type WorkflowJobParse } from "../../../runtime/github/workflow-job-event.ts";
import { ManualClock } from "../../../runtime/ports/clock.ts";
import { startCheckedEmulator, type CheckedEmulator } from "../../support/checked-emulator.ts";
import { OpenApiContract } from "../../../runtime/emulator/openapi-check/openapi-contract.ts";
import { ProtocolRunner } from "../../support/protocol-runner.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/webhook-receiver.ts";
import { webhookPayloadProblems } from "../../support/webhook-schemas.ts";

const secret = "webhook-secret-for-tests";
const verify = createWorkflowJobVerifier(secret);
const contract = new OpenApiContract();
const clock = new ManualClock(Date.now());
let lab: CheckedEmulator;
let emulator: Emulator;
let receiver: WebhookReceiver;
let runnerCount = 0;

async function newRunner(labels: string[]): Promise<{ runner: ProtocolRunner; id: number }> {
  const { data } = await lab.installationClient("acme").rest.actions.generateRunnerJitconfigForOrg({
    org: "acme",
    name: `rf-test-${++runnerCount}`,
    runner_group_id: 1,
    labels,
  });
  return { runner: new ProtocolRunner(data.encoded_jit_config), id: data.runner.id };
}

/** Every delivery so far, verified and parsed as the controller would, and schema-checked. */
async function events(): Promise<(WorkflowJobParse & { ok: true })[]> {
  await emulator.webhooksIdle();
  const parsed = [];
  for (const delivery of receiver.received) {
    const body = JSON.parse(delivery.rawBody) as Record<string, unknown>;
    expect(webhookPayloadProblems("workflow_job", body)).toEqual([]);
    const result = await verify({ headers: delivery.headers, rawBody: delivery.rawBody });
    if (!result.ok) throw new Error(`delivery rejected: ${result.reason} ${result.detail}`);
    parsed.push(result);
  }
  return parsed;
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  lab = await startCheckedEmulator({ clock, webhooks: [{ url: receiver.url, secret }] }, contract);
  emulator = lab.emulator;
});
beforeEach(async () => {
  await emulator.webhooksIdle();
  receiver.received.length = 0;
});
afterAll(async () => {
  await lab.close();
  await receiver.close();
});

const steps = [
  { name: "checkout", run: "git clone ..." },
  { name: "test", run: "npm test" },
];

describe("a job from queued to completed", () => {
  it("is taken by a matching JIT runner, reported step by step, and its runner removed", async () => {
    const { jobId, runId } = emulator.enqueueJob({ repository: "acme/app", labels: ["Self-Hosted", "rf-small"], jobName: "unit", steps, timeoutMinutes: 30 });
    const { runner, id } = await newRunner(["rf-small"]);
    expect(await runner.connect()).toBe(201);
    const message = await runner.poll(5);
    expect(message).toEqual({
      jobId,
      runId,
      repository: "acme/app",
      jobName: "unit",
      steps,
      timeoutMinutes: 30,
      clock: expect.any(Object),
      // What the guest needs to tell whether the run may publish dependency caches.
      context: { event: "push", headBranch: "main", defaultBranch: "main", sameRepository: true },
    });
    // The emulator's clock when the poll arrived and when it answered, for the runner's clock comparison.
    expect(message!.clock!.receivedAt).toBeLessThanOrEqual(message!.clock!.sentAt);
    expect(emulator.job(jobId)).toMatchObject({ status: "in_progress", runnerId: id, runnerName: runner.name });
    expect(await runner.reportStep(message!, 0, "success")).toBe(204);
    expect(await runner.reportStep(message!, 1, "success")).toBe(204);
    expect(await runner.complete(message!, "success")).toBe(204);
    expect(await runner.disconnect()).toBe(204);

    const view = emulator.job(jobId)!;
    expect(view).toMatchObject({ status: "completed", conclusion: "success" });
    expect(Date.parse(view.createdAt)).toBeLessThanOrEqual(Date.parse(view.startedAt!));
    expect(Date.parse(view.startedAt!)).toBeLessThanOrEqual(Date.parse(view.completedAt!));
    expect(view.steps.map((s) => [s.name, s.conclusion, s.exitCode])).toEqual([
      ["checkout", "success", 0],
      ["test", "success", 0],
    ]);
    expect(view.steps[1]!.log).toContain("npm test");
    await expect(lab.installationClient("acme").rest.actions.getSelfHostedRunnerForOrg({ org: "acme", runner_id: id })).rejects.toMatchObject({ status: 404 });

    const sent = await events();
    expect(sent.map((e) => [e.action, e.job.status, e.job.runnerName])).toEqual([
      ["queued", "queued", null],
      ["in_progress", "in_progress", runner.name],
      ["completed", "completed", runner.name],
    ]);
    expect(sent[2]!.job).toMatchObject({ id: jobId, runId, repository: "acme/app", conclusion: "success", labels: ["Self-Hosted", "rf-small"] });
    expect(sent[0]!.installationId).toBe(emulator.app.installationId("acme"));
    expect(new Set(sent.map((e) => e.deliveryId)).size).toBe(3);
    for (const delivery of receiver.received) {
      expect(delivery.headers["x-github-event"]).toBe("workflow_job");
      expect(delivery.headers["user-agent"]).toMatch(/^GitHub-Hookshot\//);
      expect(delivery.headers["x-hub-signature-256"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    }
  });

  it("reports a failed step and a failed job", async () => {
    const { jobId } = emulator.enqueueJob({ repository: "acme/app", labels: ["fails"], steps });
    const { runner } = await newRunner(["fails"]);
    await runner.connect();
    const message = await runner.poll(5);
    expect(await runner.runJob(message!, 0)).toBe("failure");
    expect(emulator.job(jobId)).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(emulator.job(jobId)!.steps.map((s) => s.conclusion)).toEqual(["failure", "cancelled"]);
    const completed = (await events()).find((e) => e.action === "completed")!;
    expect(completed.job.conclusion).toBe("failure");
  });
});

describe("assignment", () => {
  it("waits for a runner that has every label of the job", async () => {
    const { jobId } = emulator.enqueueJob({ repository: "acme/app", labels: ["gpu", "big"], steps });
    const { runner: small } = await newRunner(["gpu"]);
    await small.connect();
    expect(await small.poll(0)).toBeUndefined();
    expect(emulator.job(jobId)?.status).toBe("queued");
    const { runner: big } = await newRunner(["GPU", "Big"]);
    await big.connect();
    expect((await big.poll(0))?.jobId).toBe(jobId);
    await small.disconnect();
  });

  it("wakes a long poll as soon as a job arrives", async () => {
    const { runner } = await newRunner(["wake"]);
    await runner.connect();
    const polling = runner.poll(20);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { jobId } = emulator.enqueueJob({ repository: "acme/app", labels: ["wake"], steps });
    expect((await polling)?.jobId).toBe(jobId);
  });

  it("serves one job per JIT runner", async () => {
    const first = emulator.enqueueJob({ repository: "acme/app", labels: ["solo"], steps });
    const second = emulator.enqueueJob({ repository: "acme/app", labels: ["solo"], steps });
    const { runner } = await newRunner(["solo"]);
    await runner.connect();
    const message = await runner.poll(1);
    expect(message?.jobId).toBe(first.jobId);
    expect(await runner.poll(0)).toBeUndefined();
    await runner.runJob(message!);
    expect(emulator.job(second.jobId)?.status).toBe("queued");
    // The runner is gone, so its next poll is refused.
    await expect(runner.poll(0)).rejects.toThrow(/404/);
    emulator.github.cancelJob(emulator.github.state.jobs.get(second.jobId)!);
  });
});

describe("JIT configs and sessions", () => {
  it("are single-use: a second session with the same config is 409", async () => {
    const { runner } = await newRunner(["once"]);
    expect(await runner.connect()).toBe(201);
    expect(await runner.connect()).toBe(409);
  });

  it("refuse unknown tokens (401) and a mismatched agent name (400)", async () => {
    const { runner } = await newRunner(["x"]);
    expect((await runner.call("POST", "sessions", { agentName: runner.name, agentVersion: "1" }, "jit_forged")).status).toBe(401);
    expect((await runner.call("POST", "sessions", { agentName: "someone-else", agentVersion: "1" })).status).toBe(400);
    expect((await runner.call("POST", "sessions", { agentName: runner.name })).status).toBe(400);
  });

  it("count a runner online while it polls and offline 30 s after its last poll or once it leaves", async () => {
    const { runner, id } = await newRunner(["idle"]);
    const status = async () => (await lab.installationClient("acme").rest.actions.getSelfHostedRunnerForOrg({ org: "acme", runner_id: id })).data.status;
    expect(await status()).toBe("offline");
    await runner.connect();
    expect(await status()).toBe("online");
    clock.advance(31_000);
    expect(await status()).toBe("offline");
    await runner.poll(0);
    expect(await status()).toBe("online");
    await runner.disconnect();
    expect(await status()).toBe("offline");
  });
});

describe("GitHub-side endings", () => {
  it("cancels a running job after its timeout and removes its runner", async () => {
    const { jobId } = emulator.enqueueJob({ repository: "acme/app", labels: ["slow"], steps, timeoutMinutes: 1 });
    const { runner, id } = await newRunner(["slow"]);
    await runner.connect();
    const message = await runner.poll(2);
    clock.advance(61_000);
    emulator.github.sweep();
    expect(emulator.job(jobId)).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(emulator.github.state.runners.has(id)).toBe(false);
    // The runner's late report is refused.
    expect(await runner.complete(message!, "success")).toBe(401);
    expect((await events()).at(-1)).toMatchObject({ action: "completed", job: { conclusion: "cancelled" } });
  });

  it("holds a job in `waiting` until it is approved", async () => {
    const { jobId } = emulator.enqueueJob({ repository: "acme/app", labels: ["env"], steps, waiting: true });
    const { runner } = await newRunner(["env"]);
    await runner.connect();
    expect(await runner.poll(0)).toBeUndefined();
    const response = await fetch(`${emulator.url}/_emulator/jobs/${jobId}/approve`, { method: "POST" });
    expect(response.status).toBe(200);
    expect((await runner.poll(1))?.jobId).toBe(jobId);
    expect((await events()).map((e) => e.action)).toEqual(["waiting", "queued", "in_progress"]);
  });

  it("cancels a queued job on request", async () => {
    const { jobId } = emulator.enqueueJob({ repository: "acme/app", labels: ["never"], steps });
    const response = await fetch(`${emulator.url}/_emulator/jobs/${jobId}/cancel`, { method: "POST" });
    expect(await response.json()).toMatchObject({ status: "completed", conclusion: "cancelled", startedAt: expect.any(String) });
    expect((await events()).map((e) => [e.action, e.job.conclusion])).toEqual([
      ["queued", null],
      ["completed", "cancelled"],
    ]);
  });
});
