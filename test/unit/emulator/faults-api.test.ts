// Faults switched at run time through the admin API, seen by real clients.
import type { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startCheckedEmulator, type CheckedEmulator } from "../../support/checked-emulator.ts";
import { OpenApiContract } from "../../../runtime/emulator/openapi-check/openapi-contract.ts";
import { ProtocolRunner } from "../../support/protocol-runner.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/webhook-receiver.ts";

const contract = new OpenApiContract();
let lab: CheckedEmulator;
let acme: Octokit;
let receiver: WebhookReceiver;

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${lab.emulator.url}/_emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  lab = await startCheckedEmulator({ webhooks: [{ url: receiver.url, secret: "s3cret-s3cret-s3cret" }] }, contract);
  // The unretrying client: faults must reach the test as the controller would first see them.
  acme = lab.installationClient("acme");
  await acme.auth({ type: "installation" });
});
beforeEach(async () => {
  expect((await admin("DELETE", "faults")).status).toBe(204);
  await lab.emulator.webhooksIdle();
  receiver.received.length = 0;
});
afterAll(async () => {
  await lab.close();
  await receiver.close();
});

const list = () => acme.rest.actions.listSelfHostedRunnersForOrg({ org: "acme" });

describe("REST faults", () => {
  it("answers 5xx for the configured number of requests, then recovers", async () => {
    expect((await admin("POST", "faults", { serverError: { times: 2, status: 503 } })).status).toBe(200);
    await expect(list()).rejects.toMatchObject({ status: 503 });
    await expect(list()).rejects.toMatchObject({ status: 503 });
    await expect(list()).resolves.toMatchObject({ status: 200 });
  });

  it("answers a secondary rate limit: 403 with retry-after and GitHub's message", async () => {
    await admin("POST", "faults", { secondaryRateLimit: { retryAfterSeconds: 7, route: "actions/runners" } });
    const error = await list().then(
      () => undefined,
      (e: { status: number; message: string; response: { headers: Record<string, string> } }) => e,
    );
    expect(error).toMatchObject({ status: 403, message: expect.stringContaining("secondary rate limit") });
    expect(error!.response.headers["retry-after"]).toBe("7");
    // Other routes are untouched.
    await expect(acme.rest.actions.listRepoVariables({ owner: "acme", repo: "app" })).resolves.toMatchObject({ status: 200 });
  });

  it("answers 429 with retry-after and an exhausted rate limit", async () => {
    await admin("POST", "faults", { tooManyRequests: { times: 1, retryAfterSeconds: 2 } });
    const error = await list().then(
      () => undefined,
      (e: { status: number; response: { headers: Record<string, string> } }) => e,
    );
    expect(error?.status).toBe(429);
    expect(error!.response.headers).toMatchObject({ "retry-after": "2", "x-ratelimit-remaining": "0" });
  });

  it("adds latency", async () => {
    await admin("POST", "faults", { latency: { ms: 300 } });
    const started = performance.now();
    await list();
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("applies a rate: never at 0", async () => {
    await admin("POST", "faults", { serverError: { rate: 0 } });
    for (let i = 0; i < 5; i++) await expect(list()).resolves.toMatchObject({ status: 200 });
  });

  it("rejects bad settings with a message naming the field, and keeps the old ones", async () => {
    await admin("POST", "faults", { latency: { ms: 1 } });
    const bad = await admin("POST", "faults", { serverError: { status: 418 } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ message: expect.stringContaining("serverError.status") });
    expect((await admin("GET", "faults")).body).toEqual({ latency: { ms: 1 }, seed: expect.any(Number) });
  });

  it("takes a seed and reports where each fault fired", async () => {
    expect((await admin("POST", "faults", { seed: 1234, serverError: { operation: "GET /orgs/{org}/actions/runners", times: 1 } })).body).toEqual({
      seed: 1234,
      serverError: { operation: "GET /orgs/{org}/actions/runners", times: 1 },
    });
    await expect(acme.rest.actions.listRepoVariables({ owner: "acme", repo: "app" })).resolves.toMatchObject({ status: 200 });
    await expect(list()).rejects.toMatchObject({ status: 502 });
    const fired = [{ fault: "serverError", target: "GET /orgs/acme/actions/runners", count: 1 }];
    expect((await admin("GET", "faults/fired")).body).toEqual(fired);
    expect((await admin("GET", "state")).body).toMatchObject({ faultsFired: fired });
    expect(lab.emulator.faultsFired()).toEqual(fired);
  });
});

describe("webhook faults", () => {
  it("drops deliveries: recorded as dropped, never received", async () => {
    await admin("POST", "faults", { dropWebhook: { action: "queued" } });
    const { jobId } = lab.emulator.enqueueJob({ repository: "acme/app", labels: ["nobody"], steps: [{ name: "s", run: "true" }] });
    await admin("POST", `jobs/${jobId}/cancel`);
    await lab.emulator.webhooksIdle();
    const deliveries = ((await admin("GET", "deliveries")).body as { jobId: number; action: string; outcome: string }[]).filter((d) => d.jobId === jobId);
    expect(deliveries.map((d) => [d.action, d.outcome])).toEqual([
      ["queued", "dropped"],
      ["completed", "delivered"],
    ]);
    expect(receiver.received.map((r) => (JSON.parse(r.rawBody) as { action: string }).action)).toEqual(["completed"]);
  });

  it("duplicates deliveries with the same X-GitHub-Delivery", async () => {
    await admin("POST", "faults", { duplicateWebhook: { times: 1 } });
    const { jobId } = lab.emulator.enqueueJob({ repository: "acme/app", labels: ["nobody"], steps: [{ name: "s", run: "true" }] });
    await receiver.waitFor(2);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0]!.headers["x-github-delivery"]).toBe(receiver.received[1]!.headers["x-github-delivery"]);
    expect(receiver.received[0]!.rawBody).toBe(receiver.received[1]!.rawBody);
    await admin("POST", `jobs/${jobId}/cancel`);
  });

  it("records failed deliveries when the receiver answers an error", async () => {
    receiver.respondWith(500);
    const { jobId } = lab.emulator.enqueueJob({ repository: "acme/app", labels: ["nobody"], steps: [{ name: "s", run: "true" }] });
    await lab.emulator.webhooksIdle();
    receiver.respondWith(200);
    expect(lab.emulator.deliveries().filter((d) => d.jobId === jobId)).toEqual([expect.objectContaining({ outcome: "failed", responseStatus: 500 })]);
    await admin("POST", `jobs/${jobId}/cancel`);
  });
});

describe("a runner that never connects", () => {
  it("stays registered and offline: its sessions are refused and it never gets a job", async () => {
    await admin("POST", "faults", { runnerNeverConnects: { times: 1 } });
    const { data } = await acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "ghost-runner", runner_group_id: 1, labels: ["ghost"] });
    const { jobId } = lab.emulator.enqueueJob({ repository: "acme/app", labels: ["ghost"], steps: [{ name: "s", run: "true" }] });
    const runner = new ProtocolRunner(data.encoded_jit_config);
    expect(await runner.connect()).toBe(503);
    expect(await runner.connect()).toBe(503);
    const listed = await acme.rest.actions.getSelfHostedRunnerForOrg({ org: "acme", runner_id: data.runner.id });
    expect(listed.data).toMatchObject({ status: "offline", busy: false });
    expect(lab.emulator.job(jobId)?.status).toBe("queued");
    // Only that runner: the next one connects.
    const { data: next } = await acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "real-runner", runner_group_id: 1, labels: ["ghost"] });
    const healthy = new ProtocolRunner(next.encoded_jit_config);
    expect(await healthy.connect()).toBe(201);
    expect((await healthy.poll(1))?.jobId).toBe(jobId);
  });
});
