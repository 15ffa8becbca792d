/**
 * The controller's trust check on what a real GitHub gives it: the project's emulator on
 * loopback sends signed workflow_job webhooks to a real HTTP receiver, and the run context is
 * read through the Octokit adapter, as the controller does.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../runtime/emulator/server.ts";
import { startEmulatorChecked } from "../../support/checked-emulator.ts";
import type { EnqueueJobRequest } from "../../../runtime/emulator/job-request.ts";
import { createOctokitGitHub, type OctokitGitHub } from "../../../runtime/github/octokit-github.ts";
import { parseRoutingPolicy } from "../../../runtime/routing/policy.ts";
import { assessRunTrust } from "../../../runtime/routing/run-trust.ts";

const token = "ghp_run_trust_test_token_0123456789";
const secret = "webhook-secret-for-tests";
let emulator: Emulator;
let receiver: Server;
let github: OctokitGitHub;
/** Verified workflow_job payloads by job id. */
const webhooks = new Map<number, unknown>();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
      const given = Buffer.from(String(req.headers["x-hub-signature-256"] ?? ""));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res.writeHead(401).end();
        return;
      }
      const payload = JSON.parse(body.toString("utf8")) as { action: string; workflow_job: { id: number } };
      if (payload.action === "queued") webhooks.set(payload.workflow_job.id, payload);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const port = (receiver.address() as AddressInfo).port;
  emulator = await startEmulatorChecked({ staticTokens: [token], webhooks: [{ url: `http://127.0.0.1:${port}/`, secret }] });
  github = createOctokitGitHub({ apiUrl: `${emulator.url}/api/v3`, auth: { kind: "token", token }, scope: { kind: "org", org: "acme" } });
});

afterAll(async () => {
  await emulator?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function trustOf(event: EnqueueJobRequest["event"], policy = parseRoutingPolicy({})) {
  const { jobId, runId } = emulator.enqueueJob({
    repository: "acme/app",
    labels: ["self-hosted", "linux", "x64", "runner-fleet"],
    steps: [{ name: "test", run: "true" }],
    event,
  });
  await emulator.webhooksIdle();
  const webhook = webhooks.get(jobId);
  expect(webhook, "the signed queued webhook arrived").toBeDefined();
  return assessRunTrust(webhook, await github.getRunContext("acme/app", runId), policy);
}

describe("assessRunTrust on emulated GitHub", () => {
  it("cannot confirm a member's same-repository pull request: association unknown", async () => {
    const trust = await trustOf({ name: "pull_request", sender: { login: "alice" }, pullRequest: { number: 1 }, headBranch: "feature" });
    expect(trust).toMatchObject({ verdict: "unknown", reason: { code: "association-unknown" } });
  });

  it("refuses a fork's pull request", async () => {
    const trust = await trustOf({
      name: "pull_request",
      sender: { login: "mallory" },
      pullRequest: { number: 2, headRepository: "mallory/app", authorAssociation: "NONE" },
      headBranch: "evil",
    });
    expect(trust).toMatchObject({ verdict: "untrusted", reason: { code: "fork" } });
  });

  it("refuses a pull request whose head repository was deleted", async () => {
    const trust = await trustOf({ name: "pull_request", sender: { login: "alice" }, pullRequest: { number: 3, headRepository: null }, headBranch: "gone" });
    expect(trust).toMatchObject({ verdict: "untrusted", reason: { code: "fork" } });
  });

  it("refuses a bot's pull request", async () => {
    const trust = await trustOf({
      name: "pull_request",
      sender: { login: "dependabot[bot]", type: "Bot" },
      pullRequest: { number: 4 },
      headBranch: "dependabot/npm/x",
    });
    expect(trust).toMatchObject({ verdict: "untrusted", reason: { code: "bot" } });
  });

  it("refuses pull_request_target, and push unless opted in", async () => {
    expect(await trustOf({ name: "pull_request_target", sender: { login: "alice" }, pullRequest: { number: 5 } })).toMatchObject({
      verdict: "untrusted",
      reason: { code: "event-not-trusted" },
    });
    expect(await trustOf({ name: "push", sender: { login: "alice" }, headBranch: "main" })).toMatchObject({
      verdict: "untrusted",
      reason: { code: "event-not-trusted" },
    });
  });

  it("trusts an opted-in push to the default branch and refuses one to another branch", async () => {
    const policy = parseRoutingPolicy({ pushToDefaultBranch: true });
    expect(await trustOf({ name: "push", sender: { login: "alice" }, headBranch: "main" }, policy)).toMatchObject({
      verdict: "trusted",
      reason: { code: "trusted-push" },
    });
    expect(await trustOf({ name: "push", sender: { login: "alice" }, headBranch: "feature" }, policy)).toMatchObject({
      verdict: "untrusted",
      reason: { code: "not-default-branch" },
    });
  });
});
