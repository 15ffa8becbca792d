// Self-hosted runners through @octokit/rest, checked against GitHub's OpenAPI description.
import type { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJitConfig } from "../../../runtime/protocol/jit-config.ts";
import { startCheckedEmulator, type CheckedEmulator } from "../../support/checked-emulator.ts";
import { OpenApiContract } from "../../../runtime/emulator/openapi-check/openapi-contract.ts";
import { ProtocolRunner } from "../../support/protocol-runner.ts";

const contract = new OpenApiContract();
let lab: CheckedEmulator;
let acme: Octokit;
let octo: Octokit;

beforeAll(async () => {
  lab = await startCheckedEmulator({ runnerUrl: "http://10.0.2.100:8080/_runner" }, contract);
  acme = lab.installationClient("acme");
  octo = lab.installationClient("octo");
});
afterAll(async () => {
  await lab.close();
});

describe("generate-jitconfig", () => {
  it("registers an org runner with the read-only labels GitHub adds, offline until it connects", async () => {
    const { status, data } = await acme.request("POST /orgs/{org}/actions/runners/generate-jitconfig", {
      org: "acme",
      name: "rf-small-1",
      runner_group_id: 1,
      labels: ["rf-small", "linux"],
    });
    expect(status).toBe(201);
    expect(data.runner).toMatchObject({ name: "rf-small-1", status: "offline", busy: false });
    expect(data.runner.labels.map((l) => [l.name, l.type])).toEqual([
      ["self-hosted", "read-only"],
      ["Linux", "read-only"],
      ["X64", "read-only"],
      ["rf-small", "custom"],
    ]);
    const config = decodeJitConfig(data.encoded_jit_config);
    expect(config.runner).toMatchObject({
      AgentId: data.runner.id,
      AgentName: "rf-small-1",
      PoolId: 1,
      ServerUrl: "http://10.0.2.100:8080/_runner",
      GitHubUrl: expect.stringMatching(/\/acme$/),
      Ephemeral: true,
      DisableUpdate: true,
      UseV2Flow: false,
    });
    expect(config.credentials).toMatchObject({ Scheme: "OAuth", Data: { clientId: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
    expect(Buffer.from(config.rsaParameters.modulus, "base64")).toHaveLength(256);
  });

  it("registers a repository runner (user-owned repo, default group 1)", async () => {
    const { data } = await octo.rest.actions.generateRunnerJitconfigForRepo({ owner: "octo", repo: "solo", name: "solo-1", runner_group_id: 1, labels: ["x"] });
    expect(data.runner.name).toBe("solo-1");
    const list = await octo.rest.actions.listSelfHostedRunnersForRepo({ owner: "octo", repo: "solo" });
    expect(list.data.runners.map((r) => r.name)).toEqual(["solo-1"]);
    const one = await octo.rest.actions.getSelfHostedRunnerForRepo({ owner: "octo", repo: "solo", runner_id: data.runner.id });
    expect(one.data).toMatchObject({ name: "solo-1", status: "offline", runner_group_id: 1 });
  });

  it("answers 409 when the name is taken (case-insensitively) in the same scope", async () => {
    await acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "dup", runner_group_id: 1, labels: ["a"] });
    await expect(acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "DUP", runner_group_id: 1, labels: ["a"] })).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining("already exists"),
    });
    // Another scope may use the name.
    await expect(acme.rest.actions.generateRunnerJitconfigForRepo({ owner: "acme", repo: "app", name: "dup", runner_group_id: 1, labels: ["a"] })).resolves.toMatchObject({ status: 201 });
  });

  it("answers 422 without runner_group_id, as GitHub's description requires it", async () => {
    const body = { name: "no-group", labels: ["a"] };
    await expect(acme.request("POST /orgs/{org}/actions/runners/generate-jitconfig", { org: "acme", ...(body as { name: string; labels: string[]; runner_group_id: number }) })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('"runner_group_id" wasn\'t supplied'),
    });
    // The contract checker flags the same request: the emulator and the description agree.
    expect(contract.takeViolations((v) => v.kind === "request-body" && v.detail.includes("runner_group_id"))).toHaveLength(1);
  });

  it("answers 422 for no labels and for more than 100", async () => {
    const tooMany = Array.from({ length: 101 }, (_, i) => `l${i}`);
    await expect(acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "none", runner_group_id: 1, labels: [] })).rejects.toMatchObject({ status: 422 });
    await expect(acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "many", runner_group_id: 1, labels: tooMany })).rejects.toMatchObject({ status: 422 });
    expect(contract.takeViolations((v) => v.kind === "request-body" && /labels must NOT have (fewer|more)/.test(v.detail))).toHaveLength(2);
    const hundred = tooMany.slice(0, 100);
    await expect(acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "hundred", runner_group_id: 1, labels: hundred })).resolves.toMatchObject({ status: 201 });
  });

  it("answers 404 for an unknown runner group", async () => {
    await expect(acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "lost", runner_group_id: 999, labels: ["a"] })).rejects.toMatchObject({ status: 404 });
    await expect(octo.rest.actions.generateRunnerJitconfigForRepo({ owner: "octo", repo: "solo", name: "lost", runner_group_id: 2, labels: ["a"] })).rejects.toMatchObject({ status: 404 });
  });
});

describe("listing, reading and deleting runners", () => {
  it("pages with Link headers (Octokit's paginate follows them) and filters by exact name", async () => {
    for (let i = 0; i < 7; i++) await acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: `page-${i}`, runner_group_id: 1, labels: ["p"] });
    const firstPage = await acme.rest.actions.listSelfHostedRunnersForOrg({ org: "acme", per_page: 3 });
    expect(firstPage.data.runners).toHaveLength(3);
    expect(firstPage.headers.link).toContain('rel="next"');
    const all = await acme.paginate(acme.rest.actions.listSelfHostedRunnersForOrg, { org: "acme", per_page: 3 });
    expect(all.length).toBe(firstPage.data.total_count);
    expect(all.filter((r) => r.name.startsWith("page-")).map((r) => r.name)).toEqual(Array.from({ length: 7 }, (_, i) => `page-${i}`));
    const byName = await acme.rest.actions.listSelfHostedRunnersForOrg({ org: "acme", name: "PAGE-3" });
    expect(byName.data.runners.map((r) => r.name)).toEqual(["page-3"]);
  });

  it("gets a runner, shows it online while it polls, and deletes it (then 404)", async () => {
    const { data } = await acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "life", runner_group_id: 1, labels: ["life"] });
    // This emulator writes a guest address into configs; the test talks to it on loopback.
    const runner = new ProtocolRunner(data.encoded_jit_config, `${lab.emulator.url}/_runner`);
    expect(await runner.connect()).toBe(201);
    const got = await acme.rest.actions.getSelfHostedRunnerForOrg({ org: "acme", runner_id: data.runner.id });
    expect(got.data).toMatchObject({ name: "life", status: "online", busy: false, os: "Linux" });
    expect((await acme.rest.actions.deleteSelfHostedRunnerFromOrg({ org: "acme", runner_id: data.runner.id })).status).toBe(204);
    await expect(acme.rest.actions.getSelfHostedRunnerForOrg({ org: "acme", runner_id: data.runner.id })).rejects.toMatchObject({ status: 404 });
    await expect(acme.rest.actions.deleteSelfHostedRunnerFromOrg({ org: "acme", runner_id: data.runner.id })).rejects.toMatchObject({ status: 404 });
    // A deleted runner's credentials stop working.
    expect((await runner.call("POST", "sessions", { agentName: "life", agentVersion: "x" })).status).toBe(401);
  });

  it("refuses (422) to delete a runner while it runs a job", async () => {
    const { data } = await acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "busy", runner_group_id: 1, labels: ["busy-only"] });
    const runner = new ProtocolRunner(data.encoded_jit_config, `${lab.emulator.url}/_runner`);
    await runner.connect();
    lab.emulator.enqueueJob({ repository: "acme/app", labels: ["busy-only"], steps: [{ name: "s", run: "true" }] });
    const job = await runner.poll(5);
    expect(job).toBeDefined();
    await expect(acme.rest.actions.deleteSelfHostedRunnerFromOrg({ org: "acme", runner_id: data.runner.id })).rejects.toMatchObject({ status: 422 });
    await runner.runJob(job!);
    // Ephemeral: gone after its job.
    await expect(acme.rest.actions.getSelfHostedRunnerForOrg({ org: "acme", runner_id: data.runner.id })).rejects.toMatchObject({ status: 404 });
  });

  it("issues registration and remove tokens that expire in an hour", async () => {
    for (const response of [
      await acme.rest.actions.createRegistrationTokenForOrg({ org: "acme" }),
      await acme.rest.actions.createRemoveTokenForOrg({ org: "acme" }),
      await octo.rest.actions.createRegistrationTokenForRepo({ owner: "octo", repo: "solo" }),
      await octo.rest.actions.createRemoveTokenForRepo({ owner: "octo", repo: "solo" }),
    ]) {
      expect(response.status).toBe(201);
      const lifetime = Date.parse(response.data.expires_at) - Date.now();
      expect(lifetime).toBeGreaterThan(3590_000);
      expect(lifetime).toBeLessThanOrEqual(3600_000);
    }
  });
});
