// The controller's webhook intake, fed GitHub's own example payloads (@octokit/webhooks-examples),
// signed here with a test secret, exactly as a delivery would arrive.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createWorkflowJobVerifier, parseWorkflowJobPayload, verifyAndParseWorkflowJob } from "../../../runtime/github/workflow-job-event.ts";
import { readPackageJson } from "../../../runtime/emulator/openapi-check/github-json-schema.ts";
import { webhookPayloadProblems } from "../../support/webhook-schemas.ts";

const secret = "a-webhook-secret-of-some-length";
const verify = createWorkflowJobVerifier(secret);

interface ExampleGroup {
  name: string;
  examples: Record<string, unknown>[];
}
const groups = readPackageJson("@octokit/webhooks-examples/api.github.com/index.json") as ExampleGroup[];
const workflowJobExamples = groups.find((g) => g.name === "workflow_job")!.examples;
const pullRequestExample = groups.find((g) => g.name === "pull_request")!.examples[0]!;

function signed(body: string, event = "workflow_job", key = secret): Record<string, string> {
  return {
    "Content-Type": "application/json",
    "X-GitHub-Event": event,
    "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    "X-Hub-Signature-256": `sha256=${createHmac("sha256", key).update(body).digest("hex")}`,
  };
}

describe("GitHub's workflow_job examples", () => {
  it("are all there (8: queued, waiting, in_progress, completed)", () => {
    expect(workflowJobExamples).toHaveLength(8);
    expect(new Set(workflowJobExamples.map((e) => e.action))).toEqual(new Set(["queued", "waiting", "in_progress", "completed"]));
  });

  it.each(workflowJobExamples.map((example, i) => [`${i}: ${String(example.action)}`, example] as const))(
    "example %s verifies and parses into the port's WorkflowJob",
    async (_name, example) => {
      const body = JSON.stringify(example);
      const result = await verify({ headers: signed(body), rawBody: body });
      if (!result.ok) throw new Error(`${result.reason}: ${result.detail}`);
      const job = example.workflow_job as Record<string, unknown>;
      const repository = example.repository as Record<string, unknown>;
      expect(result.action).toBe(example.action);
      expect(result.deliveryId).toBe("72d3162e-cc78-11e3-81ab-4c9367dc0958");
      expect(result.job).toMatchObject({
        id: job.id,
        runId: job.run_id,
        repository: repository.full_name,
        labels: job.labels,
        status: job.status,
        conclusion: job.conclusion,
        completedAt: job.completed_at,
        runnerName: job.runner_name,
      });
      // Older examples lack created_at; started_at stands in for it.
      expect(result.job.createdAt).toBe(job.created_at ?? job.started_at);
      expect(result.job.startedAt).toBe(job.status === "queued" || job.status === "waiting" ? null : job.started_at);
      expect(result.repository).toEqual({ fullName: repository.full_name, id: repository.id });
      expect(result.sender.login).toBe((example.sender as { login: string }).login);
      expect(result.installationId).toBe((example.installation as { id: number } | undefined)?.id ?? null);
    },
  );

  it("match @octokit/openapi-webhooks, except the oldest, which predates four required fields", () => {
    const problems = workflowJobExamples.map((e) => webhookPayloadProblems("workflow_job", e));
    expect(problems.slice(1)).toEqual(Array.from({ length: 7 }, () => []));
    for (const field of ["run_attempt", "workflow_name", "head_branch", "created_at"]) expect(problems[0]!.join()).toContain(`'${field}'`);
    // The parser still reads that one (see the replay above): real deliveries can be older than the schema.
  });
});

describe("rejections", () => {
  const body = JSON.stringify(workflowJobExamples.find((e) => e.action === "queued"));

  it("bad_signature: wrong secret, tampered body, missing header", async () => {
    expect(await verify({ headers: signed(body, "workflow_job", "another-secret"), rawBody: body })).toMatchObject({ ok: false, reason: "bad_signature" });
    expect(await verify({ headers: signed(body), rawBody: body.replace("queued", "completed") })).toMatchObject({ ok: false, reason: "bad_signature" });
    const { ["X-Hub-Signature-256"]: _dropped, ...unsigned } = signed(body);
    expect(await verify({ headers: unsigned, rawBody: body })).toMatchObject({ ok: false, reason: "bad_signature", detail: expect.stringContaining("missing") });
    expect(await verify({ headers: { ...signed(body), "X-Hub-Signature-256": "sha256=zz" }, rawBody: body })).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("ignored: other events, even when correctly signed", async () => {
    const pr = JSON.stringify(pullRequestExample);
    expect(await verify({ headers: signed(pr, "pull_request"), rawBody: pr })).toMatchObject({ ok: false, reason: "ignored" });
    expect(await verify({ headers: signed("{}", "ping"), rawBody: "{}" })).toMatchObject({ ok: false, reason: "ignored" });
  });

  it("malformed: signed workflow_job deliveries we cannot read", async () => {
    for (const [raw, detail] of [
      ["not json", "not JSON"],
      [JSON.stringify({ action: "exploded" }), "action"],
      [JSON.stringify({ action: "queued", repository: { full_name: "a/b", id: 1 }, sender: { login: "x" } }), "workflow_job"],
    ] as const) {
      const result = await verify({ headers: signed(raw), rawBody: raw });
      expect(result).toMatchObject({ ok: false, reason: "malformed", detail: expect.stringContaining(detail) });
    }
    const { ["X-GitHub-Delivery"]: _d, ...noDelivery } = signed(body);
    expect(await verify({ headers: noDelivery, rawBody: body })).toMatchObject({ ok: false, reason: "malformed" });
  });

  it("never echo the body or signature in the detail", async () => {
    const result = await verify({ headers: signed(body, "workflow_job", "wrong"), rawBody: body });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.detail).not.toContain("sha256=");
      expect(result.detail.length).toBeLessThan(80);
    }
  });
});

describe("inputs", () => {
  it("takes Node's lower-case header bag and a Buffer body", async () => {
    const headers = Object.fromEntries(Object.entries(signed(body())).map(([k, v]) => [k.toLowerCase(), v]));
    const result = await verifyAndParseWorkflowJob({ headers, rawBody: Buffer.from(body()), secret });
    expect(result.ok).toBe(true);
    function body(): string {
      return JSON.stringify(workflowJobExamples[0]);
    }
  });

  it("parses without a signature check when the caller verified already (pure function)", () => {
    expect(parseWorkflowJobPayload("d", { action: "queued", workflow_job: { id: 1, run_id: 2, status: "queued", labels: ["a"], started_at: "2026-01-01T00:00:00Z" }, repository: { full_name: "a/b", id: 3 }, sender: { login: "u" } })).toMatchObject({
      ok: true,
      job: { id: 1, runId: 2, createdAt: "2026-01-01T00:00:00Z", startedAt: null, runnerName: null },
    });
  });
});
