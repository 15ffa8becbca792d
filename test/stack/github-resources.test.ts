/** The pure decisions behind the GitHub resources: provider credentials, runner group, webhooks, admin tokens. */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { deriveAdminToken } from "../../components/admin-token.ts";
import { adminTokenFor, repositoryResourceName } from "../../components/fleet.ts";
import { githubProviderArgs } from "../../components/github-provider.ts";
import { checkRepositoryVisibility, runnerGroupArgs } from "../../components/runner-group.ts";
import { SecretValue } from "../../components/secret-value.ts";
import type { FleetConfig, HostSettings } from "../../components/stack-config.ts";
import { webhookTargets } from "../../components/webhook.ts";

const pem = "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n";
const github: FleetConfig["github"] = {
  owner: "acme",
  scope: "org",
  apiUrl: "https://api.github.com",
  repositories: ["acme/api"],
  auth: { kind: "app", appId: 1, installationId: 2, privateKey: new SecretValue(pem) },
};

async function valueOf<T>(input: pulumi.Input<T> | undefined): Promise<{ value: T; secret: boolean }> {
  const output = pulumi.output(input as pulumi.Input<T>);
  const value = await new Promise<T>((done) => output.apply((v) => done(v as T)));
  return { value, secret: await pulumi.isSecret(output) };
}

describe("the GitHub provider", () => {
  it("uses the App as a secret and no token", async () => {
    const args = githubProviderArgs(github);
    expect(args.owner).toBe("acme");
    expect(args.token).toBeUndefined();
    expect(args.baseUrl).toBeUndefined();
    // pulumi.output lifts the nested secret: the whole appAuth block is secret.
    expect(await valueOf(args.appAuth)).toEqual({ value: { id: "1", installationId: "2", pemFile: pem }, secret: true });
  });

  it("uses the PAT, secret, only when there is no App; and a GHES API root with a trailing slash", async () => {
    const args = githubProviderArgs({
      ...github,
      apiUrl: "https://ghe.acme.example/api/v3",
      auth: { kind: "token", token: new SecretValue("github_pat_0123456789abcdef") },
    });
    expect(args.appAuth).toBeUndefined();
    expect(args.baseUrl).toBe("https://ghe.acme.example/api/v3/");
    expect(await valueOf(args.token)).toEqual({ value: "github_pat_0123456789abcdef", secret: true });
  });
});

describe("the runner group", () => {
  it("is visible to the selected repositories only, never to public ones", () => {
    expect(runnerGroupArgs({ name: "fleet", workflows: [] }, [7, 8])).toEqual({
      name: "fleet",
      visibility: "selected",
      selectedRepositoryIds: [7, 8],
      allowsPublicRepositories: false,
      restrictedToWorkflows: false,
    });
  });

  it("is restricted to workflows when some are listed", () => {
    const wf = "acme/api/.github/workflows/ci.yml@refs/heads/main";
    expect(runnerGroupArgs({ name: "fleet", workflows: [wf] }, [7])).toMatchObject({
      restrictedToWorkflows: true,
      selectedWorkflows: [wf],
    });
  });

  it("refuses public repositories by name", () => {
    expect(() => checkRepositoryVisibility("acme/site", { visibility: "public", private: false })).toThrow(
      "runner-fleet:repositories: acme/site is public",
    );
    expect(() => checkRepositoryVisibility("acme/old", { visibility: "", private: false })).toThrow(/acme\/old is public/);
    expect(() => checkRepositoryVisibility("acme/api", { visibility: "private", private: true })).not.toThrow();
    expect(() => checkRepositoryVisibility("acme/int", { visibility: "internal", private: true })).not.toThrow();
  });
});

describe("webhooks", () => {
  it("go to each host with a public URL, at the webhook path", () => {
    const hosts = [
      { name: "a", address: "192.0.2.1", listenAddress: "127.0.0.1", listenPort: 8080, publicUrl: "https://a.example" },
      { name: "b", address: "192.0.2.2", listenAddress: "0.0.0.0", listenPort: 8080 },
    ] as HostSettings[];
    expect(webhookTargets(hosts, "/hooks/github")).toEqual([{ host: "a", url: "https://a.example/hooks/github" }]);
  });
});

describe("admin tokens", () => {
  const config = { github, adminToken: undefined } as unknown as FleetConfig;

  it("are derived per host from the credential: stable, distinct per host and per credential", () => {
    const a1 = adminTokenFor(config, { name: "a" }).reveal();
    expect(a1).toMatch(/^[0-9a-f]{64}$/);
    expect(adminTokenFor(config, { name: "a" }).reveal()).toBe(a1);
    expect(adminTokenFor(config, { name: "b" }).reveal()).not.toBe(a1);
    expect(deriveAdminToken(new SecretValue("another-credential"), "a").reveal()).not.toBe(a1);
  });

  it("come from config when the operator set one", () => {
    const token = new SecretValue("operator-chosen-admin-token");
    expect(adminTokenFor({ ...config, adminToken: token }, { name: "a" })).toBe(token);
  });
});

describe("resource names", () => {
  it("turn owner/name into a valid name part", () => {
    expect(repositoryResourceName("Acme-Corp/My.Repo_x")).toBe("acme-corp-my-repo-x");
  });
});
