// GitHub App authentication through the emulator, with the clients the controller uses.
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../runtime/ports/clock.ts";
import { quietLog, startCheckedEmulator, type CheckedEmulator } from "../../support/checked-emulator.ts";
import { OpenApiContract } from "../../../runtime/emulator/openapi-check/openapi-contract.ts";

const contract = new OpenApiContract();
let lab: CheckedEmulator;
const clock = new ManualClock(Date.now());

async function raw(path: string, authorization?: string, method = "GET"): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${lab.emulator.url}${path}`, { method, headers: authorization ? { authorization } : {} });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

beforeAll(async () => {
  lab = await startCheckedEmulator({ clock, staticTokens: ["ghp_static_test_token_0123456789"] }, contract);
});
afterAll(async () => {
  await lab.close();
});

describe("GitHub App authentication", () => {
  it("trades an app JWT for an installation token that lasts an hour", async () => {
    const auth = createAppAuth({ appId: lab.emulator.app.id, privateKey: lab.emulator.app.privateKey!, request: lab.appClient().request });
    const installation = await auth({ type: "installation", installationId: lab.emulator.app.installationId("acme") });
    expect(installation.token).toMatch(/^ghs_/);
    expect(Date.parse(installation.expiresAt) - clock.now()).toBeGreaterThan(3599_000);
    expect(Date.parse(installation.expiresAt) - clock.now()).toBeLessThanOrEqual(3600_000);
    // Both schemes are accepted.
    expect((await raw("/repos/acme/app/actions/runners", `token ${installation.token}`)).status).toBe(200);
    expect((await raw("/repos/acme/app/actions/runners", `bearer ${installation.token}`)).status).toBe(200);
  });

  it("serves the same API under / and /api/v3", async () => {
    const prefixed = await lab.installationClient("acme").rest.actions.listSelfHostedRunnersForRepo({ owner: "acme", repo: "app" });
    const bare = await lab.installationClient("acme", { prefix: false }).rest.actions.listSelfHostedRunnersForRepo({ owner: "acme", repo: "app" });
    expect(bare.data).toEqual(prefixed.data);
  });

  it("answers the app and installation lookups with a JWT", async () => {
    const app = lab.appClient();
    expect((await app.rest.apps.getAuthenticated()).data).toMatchObject({ id: 1, slug: "runner-fleet-lab" });
    expect((await app.rest.apps.getRepoInstallation({ owner: "acme", repo: "app" })).data.id).toBe(lab.emulator.app.installationId("acme"));
    expect((await app.rest.apps.getOrgInstallation({ org: "acme" })).data.account).toMatchObject({ login: "acme", type: "Organization" });
    expect((await app.rest.apps.getUserInstallation({ username: "octo" })).data.id).toBe(lab.emulator.app.installationId("octo"));
    expect((await app.rest.apps.listInstallations()).data.map((i) => i.id)).toEqual(lab.emulator.app.installations.map((i) => i.id));
    expect((await app.rest.apps.getInstallation({ installation_id: lab.emulator.app.installationId("octo") })).data.account).toMatchObject({ login: "octo", type: "User" });
    await expect(app.rest.apps.getRepoInstallation({ owner: "nobody", repo: "x" })).rejects.toMatchObject({ status: 404 });
  });

  it("answers 401 without credentials, for unknown tokens, and for a JWT signed by another key", async () => {
    expect(await raw("/repos/acme/app/actions/runners")).toMatchObject({ status: 401, body: { message: "Requires authentication" } });
    expect(await raw("/repos/acme/app/actions/runners", "token ghs_nope")).toMatchObject({ status: 401, body: { message: "Bad credentials" } });
    const stranger = new Octokit({
      baseUrl: lab.emulator.url,
      log: quietLog,
      authStrategy: createAppAuth,
      auth: { appId: 1, privateKey: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString() },
    });
    await expect(stranger.rest.apps.getAuthenticated()).rejects.toMatchObject({ status: 401, message: expect.stringContaining("JSON web token") });
  });

  it("answers 401 for an installation token on app endpoints and 403 for a JWT on installation endpoints", async () => {
    const { token } = (await lab.installationClient("acme").auth({ type: "installation" })) as { token: string };
    expect((await raw("/app", `token ${token}`)).status).toBe(401);
    const { token: jwt } = (await lab.appClient().auth({ type: "app" })) as { token: string };
    expect((await raw("/repos/acme/app/actions/runners", `bearer ${jwt}`)).status).toBe(403);
  });

  it("hides other installations' repositories and organizations (404)", async () => {
    const octo = lab.installationClient("octo");
    await expect(octo.rest.actions.listSelfHostedRunnersForRepo({ owner: "acme", repo: "app" })).rejects.toMatchObject({ status: 404 });
    await expect(octo.rest.actions.listSelfHostedRunnersForOrg({ org: "acme" })).rejects.toMatchObject({ status: 404 });
    const repos = await octo.rest.apps.listReposAccessibleToInstallation();
    expect(repos.data.repositories.map((r) => r.full_name)).toEqual(["octo/solo"]);
  });

  it("rejects an installation token once its hour is over, and a JWT past its expiry with GitHub's message", async () => {
    const { token } = (await lab.installationClient("acme").auth({ type: "installation" })) as { token: string };
    const { token: jwt } = (await lab.appClient().auth({ type: "app" })) as { token: string };
    clock.advance(3601_000);
    expect(await raw("/repos/acme/app/actions/runners", `token ${token}`)).toMatchObject({ status: 401, body: { message: "Bad credentials" } });
    const expired = await raw("/app", `bearer ${jwt}`);
    expect(expired.status).toBe(401);
    expect(expired.body.message).toMatch(/'Expiration time' claim \('exp'\) must be a numeric value representing the future/);
  });

  it("lets @octokit/auth-app recover from a skewed clock using the Date header", async () => {
    // The emulator's clock is now an hour ahead of this process: auth-app's first JWT is
    // expired from the emulator's point of view, and auth-app retries with the difference.
    const app = lab.appClient();
    expect((await app.rest.apps.getAuthenticated()).status).toBe(200);
  });

  it("revokes an installation token on request", async () => {
    const client = lab.installationClient("octo");
    const { token } = (await client.auth({ type: "installation" })) as { token: string };
    expect((await raw("/installation/token", `token ${token}`, "DELETE")).status).toBe(204);
    expect((await raw("/repos/octo/solo/actions/runners", `token ${token}`)).status).toBe(401);
  });

  it("accepts a static token (a stand-in for a personal access token) everywhere", async () => {
    expect((await raw("/repos/octo/solo/actions/runners", "token ghp_static_test_token_0123456789")).status).toBe(200);
    expect((await raw("/orgs/acme/actions/runners", "token ghp_static_test_token_0123456789")).status).toBe(200);
  });

  it("sends rate-limit headers that count down per installation", async () => {
    const client = lab.installationClient("octo");
    const first = await client.rest.actions.listSelfHostedRunnersForRepo({ owner: "octo", repo: "solo" });
    const second = await client.rest.actions.listSelfHostedRunnersForRepo({ owner: "octo", repo: "solo" });
    expect(first.headers["x-ratelimit-limit"]).toBe("5000");
    expect(Number(second.headers["x-ratelimit-remaining"])).toBe(Number(first.headers["x-ratelimit-remaining"]) - 1);
  });
});
