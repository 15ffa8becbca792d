/** Each policy of the pack with inputs it accepts and inputs it refuses, called as the engine calls it. */
import { describe, expect, it } from "vitest";
import { componentTypes, providerResourceTypes as t } from "../../../components/resource-types.ts";
import { controllerNotExposedWithoutSecret } from "../../../policy/controller-exposure.ts";
import { noPatWithApp, patIsBreakGlass } from "../../../policy/github-credentials.ts";
import { controllerConfigDelivery, sshHostKeyPinned } from "../../../policy/host-access.ts";
import { runnerImagePinned } from "../../../policy/image-pinned.ts";
import { policies } from "../../../policy/policies.ts";
import { poolCeilingsFitHost, poolsFitHost } from "../../../policy/pool-budget.ts";
import { routingVariablePerRepository, routingVariableValue } from "../../../policy/routing-variable.ts";
import { runnerGroupVisibility } from "../../../policy/runner-group-visibility.ts";
import {
  webhookHasSecret,
  webhookOnlyJobEvents,
  webhookOverHttps,
  webhookTargetsDeclaredHosts,
} from "../../../policy/webhook-config.ts";
import { resource, validateResource, validateStack } from "./support.ts";

describe("runner-group-selected-private-only", () => {
  const good = { name: "fleet", visibility: "selected", selectedRepositoryIds: [1], allowsPublicRepositories: false };

  it("accepts a group visible to selected private repositories", async () => {
    expect(await validateResource(runnerGroupVisibility, t.runnerGroup, good)).toEqual([]);
    expect(await validateResource(runnerGroupVisibility, t.runnerGroup, { ...good, allowsPublicRepositories: undefined })).toEqual([]);
  });

  it("refuses a group visible to all repositories, to public ones, or to none", async () => {
    expect(await validateResource(runnerGroupVisibility, t.runnerGroup, { ...good, visibility: "all" })).toEqual([
      'runner group "fleet" has visibility "all": it must be "selected"',
    ]);
    expect(await validateResource(runnerGroupVisibility, t.runnerGroup, { ...good, allowsPublicRepositories: true })).toEqual([
      'runner group "fleet" allows public repositories: anyone could run code on the hosts',
    ]);
    expect(await validateResource(runnerGroupVisibility, t.runnerGroup, { ...good, selectedRepositoryIds: [] })).toEqual([
      'runner group "fleet" selects no repositories',
    ]);
  });

  it("ignores other resource types", async () => {
    expect(await validateResource(runnerGroupVisibility, t.actionsVariable, { visibility: "all" })).toEqual([]);
  });
});

describe("routing variable policies", () => {
  const variable = (repository: string, value: string) =>
    resource(t.actionsVariable, { repository, variableName: "CI_SELF_HOSTED_TRUSTED_ROUTING", value }, `${repository}-routing`);
  const fleet = resource(componentTypes.fleet, { repositories: ["acme/api", "acme/web"] }, "fleet");

  it("accept true/false and a variable in every repository", async () => {
    expect(await validateResource(routingVariableValue, t.actionsVariable, variable("api", "false").props)).toEqual([]);
    expect(await validateStack(routingVariablePerRepository, [fleet, variable("api", "true"), variable("web", "false")])).toEqual([]);
  });

  it("refuse other values and repositories without the variable", async () => {
    expect(await validateResource(routingVariableValue, t.actionsVariable, variable("api", "yes").props)).toEqual([
      'CI_SELF_HOSTED_TRUSTED_ROUTING in api is "yes": workflows expect "true" or "false"',
    ]);
    expect(await validateStack(routingVariablePerRepository, [fleet, variable("api", "true")])).toEqual([
      { message: "acme/web has no CI_SELF_HOSTED_TRUSTED_ROUTING variable", urn: fleet.urn },
    ]);
    expect(await validateStack(routingVariablePerRepository, [fleet, variable("api", "true"), variable("web", "maybe")])).toHaveLength(1);
  });

  it("leave other variables alone", async () => {
    expect(
      await validateResource(routingVariableValue, t.actionsVariable, { repository: "api", variableName: "OTHER", value: "x" }),
    ).toEqual([]);
  });
});

describe("webhook policies", () => {
  const hook = (configuration: Record<string, unknown>, events = ["workflow_job"]) => ({
    events,
    configuration: { url: "https://hv1.example/webhook", contentType: "json", secret: "0123456789abcdef0123", ...configuration },
  });

  it("accept a signed HTTPS webhook for workflow_job, on either webhook type", async () => {
    for (const type of [t.organizationWebhook, t.repositoryWebhook]) {
      expect(await validateResource(webhookHasSecret, type, hook({}))).toEqual([]);
      expect(await validateResource(webhookOverHttps, type, hook({}))).toEqual([]);
      expect(await validateResource(webhookOnlyJobEvents, type, hook({}))).toEqual([]);
    }
  });

  it("refuse a webhook without a secret, or with a short one", async () => {
    for (const secret of [undefined, "", "short"]) {
      expect(await validateResource(webhookHasSecret, t.organizationWebhook, hook({ secret }))).toEqual([
        "webhook to https://hv1.example/webhook has no secret (16+ characters): anyone could forge job events",
      ]);
    }
  });

  it("refuse plain HTTP and skipped certificate checks", async () => {
    expect(await validateResource(webhookOverHttps, t.repositoryWebhook, hook({ url: "http://hv1.example/webhook" }))).toEqual([
      "webhook to http://hv1.example/webhook is not HTTPS",
    ]);
    expect(await validateResource(webhookOverHttps, t.repositoryWebhook, hook({ insecureSsl: true }))).toEqual([
      "webhook to https://hv1.example/webhook skips TLS certificate verification",
    ]);
  });

  it("flag events the controllers do not use", async () => {
    expect(await validateResource(webhookOnlyJobEvents, t.organizationWebhook, hook({}, ["workflow_job", "push"]))).toEqual([
      "webhook sends events the controllers do not use: push",
    ]);
  });

  it("accept webhooks to declared hosts only", async () => {
    const host = resource(componentTypes.host, { name: "hv1", webhookUrl: "https://hv1.example/webhook" }, "hv1");
    const good = resource(t.organizationWebhook, hook({}), "good");
    const stray = resource(t.organizationWebhook, hook({ url: "https://elsewhere.example/hook" }), "stray");
    expect(await validateStack(webhookTargetsDeclaredHosts, [host, good])).toEqual([]);
    expect(await validateStack(webhookTargetsDeclaredHosts, [host, good, stray])).toEqual([
      { message: "webhook to https://elsewhere.example/hook does not point at a declared host's controller", urn: stray.urn },
    ]);
  });
});

describe("controller-not-exposed-without-webhook-secret", () => {
  const host = (listenAddress: string, webhookSecretConfigured: boolean) =>
    resource(componentTypes.host, { name: "hv1", listenAddress, webhookSecretConfigured }, "hv1");

  it("accepts loopback without a secret, and any address with one", async () => {
    for (const listen of ["127.0.0.1", "::1"]) expect(await validateStack(controllerNotExposedWithoutSecret, [host(listen, false)])).toEqual([]);
    expect(await validateStack(controllerNotExposedWithoutSecret, [host("0.0.0.0", true)])).toEqual([]);
  });

  it("refuses a controller on a non-loopback address without a webhook secret", async () => {
    for (const listen of ["0.0.0.0", "::", "192.0.2.10"]) {
      expect(await validateStack(controllerNotExposedWithoutSecret, [host(listen, false)])).toEqual([
        { message: `host hv1: the controller listens on ${listen} without a webhook secret`, urn: host(listen, false).urn },
      ]);
    }
  });
});

describe("pool policies", () => {
  const host = (poolSizes: Record<string, unknown>[]) =>
    resource(componentTypes.host, { name: "hv1", vcpus: 8, memoryMiB: 16384, poolSizes }, "hv1");
  const small = { name: "small", min: 1, max: 2, vcpus: 2, memoryMiB: 4096 };

  it("accept pools that fit", async () => {
    expect(await validateStack(poolsFitHost, [host([small])])).toEqual([]);
    expect(await validateStack(poolCeilingsFitHost, [host([small])])).toEqual([]);
  });

  it("refuse max below min, a VM bigger than the host, and warm floors that do not fit", async () => {
    expect((await validateStack(poolsFitHost, [host([{ ...small, min: 3, max: 2 }])])).map((v) => v.message)).toEqual([
      "host hv1, pool small: max 2 < min 3",
    ]);
    expect((await validateStack(poolsFitHost, [host([{ ...small, vcpus: 16 }])])).map((v) => v.message)).toEqual([
      "host hv1, pool small: one VM exceeds the host budget",
      "host hv1: the pools' warm floors do not fit the host budget",
    ]);
    expect((await validateStack(poolsFitHost, [host([{ ...small, min: 5, max: 5 }])])).map((v) => v.message)).toEqual([
      "host hv1: the pools' warm floors do not fit the host budget",
    ]);
  });

  it("advise when all pools at max would not fit together", async () => {
    expect(await validateStack(poolCeilingsFitHost, [host([{ ...small, max: 5 }])])).toEqual([
      {
        message: "host hv1: all pools at max need 10 vCPU / 20480 MiB, more than the budget; the controller will hold some pools below max",
        urn: host([]).urn,
      },
    ]);
  });
});

describe("runner-image-pinned", () => {
  const image = (recipe: Record<string, unknown>) => resource(componentTypes.baseImage, { recipe }, "img");
  const pinned = { runnerVersion: "2.329.0", runnerSha256: "a".repeat(64), user: "runner" };

  it("accepts an exact version pinned by SHA-256 run by a non-root user", async () => {
    expect(await validateStack(runnerImagePinned, [image(pinned)])).toEqual([]);
  });

  it("refuses a floating version, a missing or malformed SHA-256, and root", async () => {
    const messages = async (recipe: Record<string, unknown>) => (await validateStack(runnerImagePinned, [image(recipe)])).map((v) => v.message);
    expect(await messages({ ...pinned, runnerVersion: "latest" })).toEqual(['image img: actions/runner version "latest" is not an exact release']);
    expect(await messages({ ...pinned, runnerSha256: undefined })).toEqual(["image img: actions/runner is not pinned by SHA-256"]);
    expect(await messages({ ...pinned, runnerSha256: "ABC" })).toEqual(["image img: actions/runner is not pinned by SHA-256"]);
    expect(await messages({ ...pinned, user: "root" })).toEqual(["image img: the runner runs as root"]);
  });
});

describe("GitHub credential policies", () => {
  const app = JSON.stringify({ id: "1", installationId: "2", pemFile: "-----BEGIN RSA PRIVATE KEY-----" });

  it("accept the App alone", async () => {
    expect(await validateResource(noPatWithApp, t.githubProvider, { owner: "acme", appAuth: app })).toEqual([]);
    expect(await validateResource(patIsBreakGlass, t.githubProvider, { owner: "acme", appAuth: app })).toEqual([]);
  });

  it("refuse a PAT next to an App (nested objects arrive as JSON strings or objects)", async () => {
    for (const appAuth of [app, JSON.parse(app) as unknown]) {
      expect(await validateResource(noPatWithApp, t.githubProvider, { appAuth, token: "github_pat_x" })).toEqual([
        "the GitHub provider has both a GitHub App and a PAT: remove the PAT",
      ]);
    }
  });

  it("flag a deployment running on the PAT", async () => {
    expect(await validateResource(noPatWithApp, t.githubProvider, { token: "github_pat_x" })).toEqual([]);
    expect(await validateResource(patIsBreakGlass, t.githubProvider, { token: "github_pat_x" })).toEqual([
      "the GitHub provider uses the break-glass PAT: switch back to the GitHub App",
    ]);
  });
});

describe("host access policies", () => {
  const write = "umask 077 && install -m 0600 -o root -g root /dev/stdin /etc/runner-fleet/controller.json";

  it("accept the config written from stdin, 0600, unlogged", async () => {
    expect(await validateResource(controllerConfigDelivery, t.remoteCommand, { create: write, stdin: "{}", logging: "none" })).toEqual([]);
    expect(await validateResource(controllerConfigDelivery, t.remoteCommand, { create: "apt-get install -y qemu-utils" })).toEqual([]);
  });

  it("refuse the config in the command line, in a wider file, or logged", async () => {
    const inline = `echo '{"adminToken":"x"}' > /etc/runner-fleet/controller.json`;
    expect(await validateResource(controllerConfigDelivery, t.remoteCommand, { create: inline, logging: "none" })).toEqual([
      "the controller config is not written from stdin with mode 0600",
      "the controller config is not delivered on stdin",
    ]);
    expect(await validateResource(controllerConfigDelivery, t.remoteCommand, { create: write, stdin: "{}" })).toEqual([
      "the command writing the controller config logs its output",
    ]);
  });

  it("advise pinning SSH host keys", async () => {
    const connection = { host: "192.0.2.1", user: "root" };
    expect(await validateResource(sshHostKeyPinned, t.copyToRemote, { connection: { ...connection, hostKey: "ssh-ed25519 AAAA" } })).toEqual([]);
    expect(await validateResource(sshHostKeyPinned, t.remoteCommand, { connection })).toEqual([
      "SSH to 192.0.2.1 does not pin the host key (set sshHostKey)",
    ]);
  });
});

describe("the pack", () => {
  it("has uniquely named policies, each with a description and an enforcement level", () => {
    const names = policies.map((policy) => policy.name);
    expect(new Set(names).size).toBe(names.length);
    for (const policy of policies) {
      expect(policy.description.length, policy.name).toBeGreaterThan(10);
      expect(["mandatory", "advisory"], policy.name).toContain(policy.enforcementLevel);
    }
  });
});
