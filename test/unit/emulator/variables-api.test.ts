// Repository Actions variables through @octokit/rest.
import type { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCheckedEmulator, type CheckedEmulator } from "../../support/checked-emulator.ts";
import { OpenApiContract } from "../../../runtime/emulator/openapi-check/openapi-contract.ts";

const contract = new OpenApiContract();
let lab: CheckedEmulator;
let acme: Octokit;
const repo = { owner: "acme", repo: "lib" };

beforeAll(async () => {
  lab = await startCheckedEmulator({}, contract);
  acme = lab.installationClient("acme");
});
afterAll(async () => {
  await lab.close();
});

describe("Actions variables", () => {
  it("creates (201 {}), reads, updates (204) and deletes (204) a variable", async () => {
    const created = await acme.rest.actions.createRepoVariable({ ...repo, name: "fleet_state", value: "v1" });
    expect(created.status).toBe(201);
    expect(created.data).toEqual({});
    // Names are stored upper-cased and found case-insensitively.
    const read = await acme.rest.actions.getRepoVariable({ ...repo, name: "Fleet_State" });
    expect(read.data).toMatchObject({ name: "FLEET_STATE", value: "v1" });
    expect((await acme.rest.actions.updateRepoVariable({ ...repo, name: "fleet_state", value: "v2" })).status).toBe(204);
    expect((await acme.rest.actions.getRepoVariable({ ...repo, name: "FLEET_STATE" })).data.value).toBe("v2");
    expect((await acme.rest.actions.deleteRepoVariable({ ...repo, name: "FLEET_STATE" })).status).toBe(204);
    await expect(acme.rest.actions.getRepoVariable({ ...repo, name: "FLEET_STATE" })).rejects.toMatchObject({ status: 404 });
    await expect(acme.rest.actions.updateRepoVariable({ ...repo, name: "FLEET_STATE", value: "x" })).rejects.toMatchObject({ status: 404 });
  });

  it("answers 409 when creating a name that exists", async () => {
    await acme.rest.actions.createRepoVariable({ ...repo, name: "ONCE", value: "1" });
    const before = contract.undocumentedCount("actions/create-repo-variable", 409);
    await expect(acme.rest.actions.createRepoVariable({ ...repo, name: "once", value: "2" })).rejects.toMatchObject({ status: 409 });
    // GitHub's description documents only 201 for this operation: on the checker's list of undocumented statuses.
    expect(contract.undocumentedCount("actions/create-repo-variable", 409)).toBe(before + 1);
  });

  it("rejects names GitHub rejects (422)", async () => {
    const before = contract.undocumentedCount("actions/create-repo-variable", 422);
    await expect(acme.rest.actions.createRepoVariable({ ...repo, name: "GITHUB_TOKEN", value: "x" })).rejects.toMatchObject({ status: 422 });
    await expect(acme.rest.actions.createRepoVariable({ ...repo, name: "1abc", value: "x" })).rejects.toMatchObject({ status: 422 });
    expect(contract.undocumentedCount("actions/create-repo-variable", 422)).toBe(before + 2);
  });

  it("lists 10 per page by default, at most 30", async () => {
    for (let i = 0; i < 12; i++) await acme.rest.actions.createRepoVariable({ ...repo, name: `V${String(i).padStart(2, "0")}`, value: String(i) });
    const first = await acme.rest.actions.listRepoVariables(repo);
    expect(first.data.variables).toHaveLength(10);
    expect(first.data.total_count).toBe(13);
    expect(first.headers.link).toContain('rel="next"');
    const big = await acme.rest.actions.listRepoVariables({ ...repo, per_page: 30 });
    expect(big.data.variables).toHaveLength(13);
    const all = await acme.paginate(acme.rest.actions.listRepoVariables, repo);
    expect(all.map((v) => v.name)).toEqual(["ONCE", ...Array.from({ length: 12 }, (_, i) => `V${String(i).padStart(2, "0")}`)]);
  });
});
