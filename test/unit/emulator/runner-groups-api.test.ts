// Organization runner groups through Octokit's typed `request` (@octokit/rest has no methods for them).
import type { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCheckedEmulator, type CheckedEmulator } from "../../support/checked-emulator.ts";
import { OpenApiContract } from "../../../runtime/emulator/openapi-check/openapi-contract.ts";
import { ProtocolRunner } from "../../support/protocol-runner.ts";

const contract = new OpenApiContract();
let lab: CheckedEmulator;
let acme: Octokit;

beforeAll(async () => {
  lab = await startCheckedEmulator({}, contract);
  acme = lab.installationClient("acme");
});
afterAll(async () => {
  await lab.close();
});

const repoId = async (name: string) => (await lab.installationClient("acme").rest.apps.listReposAccessibleToInstallation()).data.repositories.find((r) => r.name === name)!.id;

describe("runner groups", () => {
  it("lists and gets the default group (id 1, visible to all repositories)", async () => {
    const { data } = await acme.request("GET /orgs/{org}/actions/runner-groups", { org: "acme" });
    expect(data.runner_groups).toEqual([expect.objectContaining({ id: 1, name: "Default", visibility: "all", default: true })]);
    const one = await acme.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}", { org: "acme", runner_group_id: 1 });
    expect(one.data.name).toBe("Default");
  });

  it("creates a group limited to selected repositories, updates it and sets its repository access", async () => {
    const app = await repoId("app");
    const lib = await repoId("lib");
    const created = await acme.request("POST /orgs/{org}/actions/runner-groups", {
      org: "acme",
      name: "runner-fleet",
      visibility: "selected",
      selected_repository_ids: [app],
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ name: "runner-fleet", visibility: "selected", default: false });
    const id = created.data.id;
    const access = await acme.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories", { org: "acme", runner_group_id: id });
    expect(access.data.repositories.map((r) => r.full_name)).toEqual(["acme/app"]);

    const updated = await acme.request("PATCH /orgs/{org}/actions/runner-groups/{runner_group_id}", { org: "acme", runner_group_id: id, name: "fleet", allows_public_repositories: true });
    expect(updated.data).toMatchObject({ name: "fleet", allows_public_repositories: true, visibility: "selected" });

    const set = await acme.request("PUT /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories", { org: "acme", runner_group_id: id, selected_repository_ids: [lib] });
    expect(set.status).toBe(204);
    const visibleToApp = await acme.request("GET /orgs/{org}/actions/runner-groups", { org: "acme", visible_to_repository: "app" });
    expect(visibleToApp.data.runner_groups.map((g) => g.id)).toEqual([1]);
    const visibleToLib = await acme.request("GET /orgs/{org}/actions/runner-groups", { org: "acme", visible_to_repository: "lib" });
    expect(visibleToLib.data.runner_groups.map((g) => g.id)).toEqual([1, id]);

    await acme.request("PUT /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories/{repository_id}", { org: "acme", runner_group_id: id, repository_id: app });
    await acme.request("DELETE /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories/{repository_id}", { org: "acme", runner_group_id: id, repository_id: lib });
    const after = await acme.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories", { org: "acme", runner_group_id: id });
    expect(after.data.repositories.map((r) => r.full_name)).toEqual(["acme/app"]);
  });

  it("routes a job only to runners whose group admits the job's repository", async () => {
    const lib = await repoId("lib");
    const group = await acme.request("POST /orgs/{org}/actions/runner-groups", { org: "acme", name: "lib-only", visibility: "selected", selected_repository_ids: [lib] });
    const { data } = await acme.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "lib-runner", runner_group_id: group.data.id, labels: ["grouped"] });
    const runner = new ProtocolRunner(data.encoded_jit_config);
    await runner.connect();
    const forApp = lab.emulator.enqueueJob({ repository: "acme/app", labels: ["grouped"], steps: [{ name: "s", run: "true" }] });
    expect(await runner.poll(0)).toBeUndefined();
    const forLib = lab.emulator.enqueueJob({ repository: "acme/lib", labels: ["grouped"], steps: [{ name: "s", run: "true" }] });
    const message = await runner.poll(2);
    expect(message?.jobId).toBe(forLib.jobId);
    expect(lab.emulator.job(forApp.jobId)?.status).toBe("queued");
    const inGroup = await acme.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}/runners", { org: "acme", runner_group_id: group.data.id });
    expect(inGroup.data.runners.map((r) => [r.name, r.busy])).toEqual([["lib-runner", true]]);
    await runner.runJob(message!);
    lab.emulator.github.cancelJob(lab.emulator.github.state.jobs.get(forApp.jobId)!);
  });

  it("deletes a group but not the default one (422)", async () => {
    const created = await acme.request("POST /orgs/{org}/actions/runner-groups", { org: "acme", name: "short-lived" });
    expect((await acme.request("DELETE /orgs/{org}/actions/runner-groups/{runner_group_id}", { org: "acme", runner_group_id: created.data.id })).status).toBe(204);
    await expect(acme.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}", { org: "acme", runner_group_id: created.data.id })).rejects.toMatchObject({ status: 404 });
    const before = contract.undocumentedCount("actions/delete-self-hosted-runner-group-from-org", 422);
    await expect(acme.request("DELETE /orgs/{org}/actions/runner-groups/{runner_group_id}", { org: "acme", runner_group_id: 1 })).rejects.toMatchObject({ status: 422 });
    // GitHub's description lists only 204 here; the 422 is GitHub's real answer for the default group (on the checker's list).
    expect(contract.undocumentedCount("actions/delete-self-hosted-runner-group-from-org", 422)).toBe(before + 1);
  });

  it("answers 404 for groups of organizations the installation cannot see", async () => {
    await expect(lab.installationClient("octo").request("GET /orgs/{org}/actions/runner-groups", { org: "acme" })).rejects.toMatchObject({ status: 404 });
  });
});
