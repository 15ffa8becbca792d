/**
 * The program with other shapes of config than the dev stack: a user-owned repository (repo
 * scope), the steady-state routing value, no webhooks, several hosts of different arches.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseControllerConfig } from "../../runtime/config/controller-config.ts";
import { providerResourceTypes as t } from "../../components/resource-types.ts";
import { devRepositories, devStack, hostsOf } from "./support/dev-stack.ts";
import { resolve, runProgram } from "./support/mock-program.ts";
import type { Recorder } from "./support/mock-program.ts";
import { reveal } from "./support/secret-inputs.ts";
import { generateDevSecrets } from "./support/stand-ins.ts";

const secrets = generateDevSecrets();
const root = fileURLToPath(new URL("../../", import.meta.url));

function controllerConfig(recorder: Recorder, host: string) {
  return parseControllerConfig(JSON.parse(reveal<string>(recorder.named(`runner-fleet-${host}-config`).inputs.stdin)));
}

describe("a repository of a user account (scope repo)", () => {
  it("uses the repository's default runner group and a repository webhook", async () => {
    const { config } = devStack(
      (c) => {
        c["runner-fleet:githubOwner"] = "octo-dev";
        c["runner-fleet:scope"] = "repo";
        c["runner-fleet:repositories"] = ["octo-dev/side-project"];
      },
      {},
      secrets,
    );
    const { recorder, outputs } = await runProgram(config, { "octo-dev/side-project": { repoId: 77, visibility: "private" } });
    expect(recorder.ofType(t.runnerGroup)).toEqual([]);
    expect(recorder.ofType(t.organizationWebhook)).toEqual([]);
    const hooks = recorder.ofType(t.repositoryWebhook);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.inputs).toMatchObject({ repository: "side-project", events: ["workflow_job"] });
    expect(recorder.ofType(t.actionsVariable).map((r) => r.inputs.repository)).toEqual(["side-project", "side-project", "side-project"]);
    // The lookup still runs: it is what refuses a public repository.
    expect(recorder.calls.map((c) => (c.inputs as { fullName: string }).fullName)).toEqual(["octo-dev/side-project"]);
    expect((await resolve(outputs.runnerGroupId as never)).value).toBe(1);
    const controller = controllerConfig(recorder, "hv1");
    expect(controller.github.scope).toEqual({ kind: "repo", owner: "octo-dev", repo: "side-project" });
    expect(controller.github.runnerGroupId).toBe(1);
  });
});

describe("steady state", () => {
  it("sets CI_SELF_HOSTED_TRUSTED_ROUTING to true in every repository", async () => {
    const { config } = devStack((c) => (c["runner-fleet:trustedRouting"] = true), {}, secrets);
    const { recorder, outputs } = await runProgram(config, devRepositories);
    const routing = recorder.ofType(t.actionsVariable).filter((r) => r.inputs.variableName === "CI_SELF_HOSTED_TRUSTED_ROUTING");
    expect(routing.map((r) => [r.inputs.repository, r.inputs.value])).toEqual([
      ["api", "true"],
      ["web", "true"],
    ]);
    expect(outputs.routingVariables).toMatchObject({ CI_SELF_HOSTED_TRUSTED_ROUTING: "true" });
  });
});

describe("without a webhook secret", () => {
  it("creates no webhooks and the controllers poll", async () => {
    const { config } = devStack((c) => delete c["runner-fleet:webhookSecret"], {}, secrets);
    const { recorder, outputs } = await runProgram(config, devRepositories);
    expect(recorder.ofType(t.organizationWebhook)).toEqual([]);
    expect(recorder.ofType(t.repositoryWebhook)).toEqual([]);
    expect(outputs.webhookUrls).toEqual([]);
    expect(controllerConfig(recorder, "hv1").webhook).toBeUndefined();
  });
});

describe("several hosts of different arches", () => {
  it("builds one image per host for its arch and routes on the labels all runners share", async () => {
    const { config } = devStack(
      (c) => {
        const arm = structuredClone(hostsOf(c)[0]!);
        Object.assign(arm, { name: "hv2", address: "198.51.100.20", arch: "arm64", publicUrl: "https://hv2.ci.acme-corp.example" });
        delete arm.sshHostKey;
        hostsOf(c).push(arm);
        (c["runner-fleet:image"] as { runnerSha256: Record<string, string> }).runnerSha256.arm64 =
          "56768348b3d643a6a29d4ad71e9bdae0dc0ef1eb01afe0f7a8ee097b039bfaaf";
      },
      {},
      secrets,
    );
    const { recorder, outputs } = await runProgram(config, devRepositories);
    const images = recorder
      .custom()
      .filter((r) => r.name.endsWith("-image"))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(images.map((r) => String(r.inputs.create))).toEqual([
      expect.stringMatching(/runner-base-x64-[0-9a-f]{16}\.qcow2'$/),
      expect.stringMatching(/runner-base-arm64-[0-9a-f]{16}\.qcow2'$/),
    ]);
    expect(reveal<string>(recorder.named("runner-fleet-hv2-packages").inputs.stdin)).toContain("qemu-system-arm");
    expect(recorder.ofType(t.organizationWebhook)).toHaveLength(2);
    expect(outputs.labelSet).toEqual(["self-hosted", "linux", "runner-fleet"]);
    expect(controllerConfig(recorder, "hv2").pools[0]!.labels).toEqual(["self-hosted", "linux", "arm64", "runner-fleet", "small"]);
    const hosts = (await resolve(outputs.hosts as never)).value as { name: string; statusUrl: string }[];
    expect(hosts.map((h) => [h.name, h.statusUrl])).toEqual([
      ["hv1", "https://hv1.ci.acme-corp.example/status"],
      ["hv2", "https://hv2.ci.acme-corp.example/status"],
    ]);
    const tokens = (await resolve(outputs.adminTokens as never)).value as Record<string, string>;
    expect(Object.keys(tokens)).toEqual(["hv1", "hv2"]);
    expect(tokens.hv1).not.toBe(tokens.hv2);
    expect(controllerConfig(recorder, "hv2").adminToken).toBe(tokens.hv2);
  });
});

describe("a public repository", () => {
  it("fails the deployment with the repository named, and no runner group is created", () => {
    const { config } = devStack(undefined, {}, secrets);
    const child = spawnSync(process.execPath, ["--import", "tsx", "test/stack/support/program-process.ts"], {
      input: JSON.stringify({ config, repositories: { ...devRepositories, "acme-corp/web": { repoId: 12, visibility: "public" } } }),
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.stderr).toContain("runner-fleet:repositories: acme-corp/web is public; runner-fleet only serves private and internal repositories");
    expect(child.status).toBe(1);
    expect(child.stdout).not.toContain(`registered ${t.runnerGroup} `);
    // Everything that does not depend on the runner group still registered.
    expect(child.stdout).toContain(`registered ${t.actionsVariable} `);
  });

  it("is not refused when private (the same process path succeeds)", () => {
    const { config } = devStack(undefined, {}, secrets);
    const child = spawnSync(process.execPath, ["--import", "tsx", "test/stack/support/program-process.ts"], {
      input: JSON.stringify({ config, repositories: devRepositories }),
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect(child.stdout).toContain(`registered ${t.runnerGroup} runner-fleet-group`);
  });
});
