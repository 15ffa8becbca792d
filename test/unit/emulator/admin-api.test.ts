// The admin API under /_emulator/ as the lab and tests use it over HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../runtime/emulator/server.ts";
import { startEmulatorChecked } from "../../support/checked-emulator.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/webhook-receiver.ts";

let emulator: Emulator;
let receiver: WebhookReceiver;

// any: the admin API's response bodies are asserted field by field in each test.
async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${emulator.url}/_emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as any) : undefined };
}

beforeAll(async () => {
  emulator = await startEmulatorChecked();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

describe("POST /_emulator/jobs", () => {
  it("enqueues a job and reports its status with timestamps", async () => {
    const created = await admin("POST", "jobs", {
      repository: "acme/app",
      labels: ["self-hosted", "rf-small"],
      jobName: "lint",
      steps: [{ name: "lint", run: "npm run lint" }],
      event: { name: "pull_request", sender: { login: "dev", type: "User" }, pullRequest: { number: 3, authorAssociation: "MEMBER" } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ jobId: expect.any(Number), runId: expect.any(Number) });
    const job = await admin("GET", `jobs/${created.body.jobId}`);
    expect(job.body).toMatchObject({
      jobId: created.body.jobId,
      runId: created.body.runId,
      repository: "acme/app",
      name: "lint",
      status: "queued",
      conclusion: null,
      runnerName: null,
      startedAt: null,
      completedAt: null,
    });
    expect(Number.isNaN(Date.parse(job.body.createdAt))).toBe(false);
  });

  it("names the field that is wrong", async () => {
    const cases: [unknown, string][] = [
      [{ labels: ["a"], steps: [{ name: "s", run: "x" }] }, "repository"],
      [{ repository: "acme/app", labels: [], steps: [{ name: "s", run: "x" }] }, "labels"],
      [{ repository: "acme/app", labels: ["a"], steps: [{ name: "s" }] }, "steps[0].run"],
      [{ repository: "acme/app", labels: ["a"], steps: [{ name: "s", run: "x" }], event: { name: "pull_request", pullRequest: { number: -1 } } }, "event.pullRequest.number"],
      [{ repository: "acme/app", labels: ["a"], steps: [{ name: "s", run: "x" }], extra: 1 }, "extra"],
    ];
    for (const [body, field] of cases) {
      const response = await admin("POST", "jobs", body);
      expect(response.status, field).toBe(400);
      expect(response.body.message, field).toContain(field);
    }
    expect((await admin("POST", "jobs", "{not json")).status).toBe(400);
  });

  it("refuses repositories the emulator does not know", async () => {
    const response = await admin("POST", "jobs", { repository: "nobody/x", labels: ["a"], steps: [{ name: "s", run: "x" }] });
    expect(response.status).toBe(404);
    expect(response.body.message).toContain("nobody/x");
  });

  it("answers 404 for unknown jobs and 409 for approving a job that is not waiting", async () => {
    expect((await admin("GET", "jobs/999999")).status).toBe(404);
    const { body } = await admin("POST", "jobs", { repository: "acme/app", labels: ["a"], steps: [{ name: "s", run: "x" }] });
    expect((await admin("POST", `jobs/${body.jobId}/approve`)).status).toBe(409);
  });
});

describe("state, webhooks and repositories", () => {
  it("shows runners, jobs, variables and faults in /_emulator/state", async () => {
    await admin("POST", "faults", { latency: { ms: 1 } });
    const state = await admin("GET", "state");
    expect(state.body.app).toMatchObject({ id: 1, installations: [{ account: "acme" }, { account: "octo" }] });
    expect(state.body.repositories.map((r: { fullName: string }) => r.fullName)).toEqual(["acme/app", "acme/lib", "octo/solo"]);
    expect(state.body.runnerGroups).toEqual([expect.objectContaining({ org: "acme", id: 1, name: "Default" })]);
    expect(state.body.jobs.length).toBeGreaterThan(0);
    expect(state.body.faults).toEqual({ latency: { ms: 1 }, seed: expect.any(Number) });
    expect(state.body.faultsFired).toEqual([]);
    await admin("DELETE", "faults");
  });

  it("adds and removes webhook targets without ever showing their secrets", async () => {
    const added = await admin("POST", "webhooks", { url: receiver.url, secret: "top-secret-value" });
    expect(added.status).toBe(201);
    const listed = await admin("GET", "webhooks");
    expect(listed.body).toEqual([{ id: added.body.id, url: receiver.url }]);
    expect(JSON.stringify((await admin("GET", "state")).body)).not.toContain("top-secret-value");
    await admin("POST", "jobs", { repository: "acme/app", labels: ["a"], steps: [{ name: "s", run: "x" }] });
    await receiver.waitFor(1);
    expect((await admin("DELETE", `webhooks/${added.body.id}`)).status).toBe(204);
    expect((await admin("DELETE", `webhooks/${added.body.id}`)).status).toBe(404);
    expect((await admin("POST", "webhooks", { url: "ftp://x", secret: "s" })).status).toBe(400);
    expect((await admin("POST", "webhooks", { url: receiver.url })).body.message).toContain("secret");
  });

  it("adds repositories to accounts the app is installed on", async () => {
    const added = await admin("POST", "repositories", { fullName: "acme/new-service" });
    expect(added).toMatchObject({ status: 201, body: { fullName: "acme/new-service", private: true } });
    expect((await admin("POST", "repositories", { fullName: "acme/new-service" })).status).toBe(409);
    expect((await admin("POST", "repositories", { fullName: "stranger/repo" })).status).toBe(400);
    const job = await admin("POST", "jobs", { repository: "acme/new-service", labels: ["a"], steps: [{ name: "s", run: "x" }] });
    expect(job.status).toBe(201);
  });

  it("answers 404 with a message for unknown admin paths", async () => {
    const response = await admin("GET", "nothing-here");
    expect(response).toMatchObject({ status: 404, body: { message: expect.stringContaining("nothing-here") } });
  });
});
