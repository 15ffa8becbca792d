/**
 * The whole program (index.ts) under Pulumi's mocks, from the dev stack's config: every resource
 * it declares and the inputs that matter, and the stack outputs.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parseControllerConfig } from "../../runtime/config/controller-config.ts";
import { hostLayout } from "../../runtime/controller/endpoints.ts";
import { metricCatalog } from "../../runtime/observability/metric-catalog.ts";
import { configInstallCommand, hostPackages } from "../../components/host-scripts.ts";
import { imageFileName, imagePath, imageRecipe, recipeHash, renderBuildScript } from "../../components/image-recipe.ts";
import type { ImageRecipe } from "../../components/image-recipe.ts";
import { renderNetworkXml, renderNwfilterXml } from "../../components/libvirt-network.ts";
import { providerResourceTypes as t } from "../../components/resource-types.ts";
import { renderUnits } from "../../components/systemd-units.ts";
import { devRepositories, devStack, hostsOf, parseMockConfig } from "./support/dev-stack.ts";
import type { DevStack } from "./support/dev-stack.ts";
import { resolve, runProgram } from "./support/mock-program.ts";
import type { Recorder, Registration } from "./support/mock-program.ts";
import { isSecretWrapped, reveal } from "./support/secret-inputs.ts";
import { readStackFile } from "./support/stack-file.ts";
import { devStackPath } from "./support/dev-stack.ts";


interface Connection {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  hostKey?: string;
}

let stack: DevStack;
let recipe: ImageRecipe;
let recorder: Recorder;
let outputs: Record<string, unknown>;

beforeAll(async () => {
  stack = devStack();
  recipe = imageRecipe(parseMockConfig(stack.config).image, "x64");
  ({ recorder, outputs } = await runProgram(stack.config, devRepositories));
});

const stdinOf = (r: Registration) => reveal<string>(r.inputs.stdin);

describe("the dev stack under mocks", () => {
  it("declares exactly the expected resources", () => {
    const declared = recorder.custom().map((r) => `${r.type} ${r.name}`).sort();
    const host = "runner-fleet-hv1";
    const repoVars = ["api", "web"].flatMap((repo) =>
      ["trusted-routing", "runs-on", "pool-labels"].map(
        (v) => `${t.actionsVariable} runner-fleet-routing-acme-corp-${repo}-ci-self-hosted-${v}`,
      ),
    );
    expect(declared).toEqual(
      [
        `${t.githubProvider} runner-fleet-github`,
        `${t.runnerGroup} runner-fleet-group`,
        ...repoVars,
        `${t.organizationWebhook} runner-fleet-webhook-hv1`,
        ...["packages", "storage", "network", "image", "config", "units", "restart", "facts"].map((c) => `${t.remoteCommand} ${host}-${c}`),
        `${t.copyToRemote} ${host}-bundle`,
      ].sort(),
    );
    const components = recorder.registrations.filter((r) => !r.custom).map((r) => `${r.type} ${r.name}`).sort();
    expect(components).toEqual(
      [
        "runner-fleet:index:Fleet runner-fleet",
        "runner-fleet:index:RunnerGroup runner-fleet-group",
        "runner-fleet:index:Routing runner-fleet-routing-acme-corp-api",
        "runner-fleet:index:Routing runner-fleet-routing-acme-corp-web",
        "runner-fleet:index:Host runner-fleet-hv1",
        "runner-fleet:index:BaseImage runner-fleet-hv1-image",
        "runner-fleet:index:Webhook runner-fleet-webhook-hv1",
      ].sort(),
    );
  });

  it("configures the GitHub provider with the App, and every GitHub resource uses it", () => {
    const provider = recorder.named("runner-fleet-github");
    expect(provider.inputs.owner).toBe("acme-corp");
    expect(provider.inputs.token).toBeUndefined();
    // The provider's own default; a GHES apiUrl would replace it.
    expect(provider.inputs.baseUrl).toBe("https://api.github.com/");
    expect(isSecretWrapped(provider.inputs.appAuth)).toBe(true);
    const appAuth = JSON.parse(reveal<string>(provider.inputs.appAuth)) as Record<string, string>;
    expect(appAuth).toEqual({ id: "123456", installationId: "45678901", pemFile: stack.secrets.appPrivateKey });
    const githubResources = recorder.custom().filter((r) => r.type.startsWith("github:"));
    expect(githubResources.length).toBe(8);
    for (const r of githubResources) expect(r.provider, r.name).toMatch(/::runner-fleet-github::/);
  });

  it("creates an org runner group visible only to the selected repositories, never public ones", () => {
    const groups = recorder.ofType(t.runnerGroup);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.inputs).toEqual({
      name: "runner-fleet",
      visibility: "selected",
      selectedRepositoryIds: [11, 12],
      allowsPublicRepositories: false,
      restrictedToWorkflows: false,
    });
    const lookups = recorder.calls.filter((c) => c.token === "github:index/getRepository:getRepository");
    expect(lookups.map((c) => (c.inputs as { fullName: string }).fullName).sort()).toEqual(["acme-corp/api", "acme-corp/web"]);
  });

  it("sets the routing variables in every repository", () => {
    for (const repo of ["api", "web"]) {
      const vars = recorder
        .ofType(t.actionsVariable)
        .filter((r) => r.inputs.repository === repo)
        .map((r) => [r.inputs.variableName, r.inputs.value]);
      expect(Object.fromEntries(vars)).toEqual({
        CI_SELF_HOSTED_TRUSTED_ROUTING: "false",
        CI_SELF_HOSTED_RUNS_ON: JSON.stringify(["self-hosted", "linux", "x64", "runner-fleet"]),
        CI_SELF_HOSTED_POOL_LABELS: JSON.stringify({
          large: ["self-hosted", "linux", "x64", "runner-fleet", "large"],
          small: ["self-hosted", "linux", "x64", "runner-fleet", "small"],
        }),
      });
    }
  });

  it("delivers workflow_job webhooks to the host's public URL with the secret", () => {
    const hook = recorder.ofType(t.organizationWebhook)[0]!;
    expect(hook.inputs.events).toEqual(["workflow_job"]);
    expect(hook.inputs.active).toBe(true);
    expect(isSecretWrapped(hook.inputs.configuration)).toBe(true);
    expect(reveal(hook.inputs.configuration)).toEqual({
      url: "https://hv1.ci.acme-corp.example/webhook",
      contentType: "json",
      insecureSsl: false,
      secret: stack.secrets.webhookSecret,
    });
  });

  it("connects to the host over SSH with the pinned host key and the secret key", () => {
    const commands = recorder.custom().filter((r) => r.type.startsWith("command:"));
    expect(commands).toHaveLength(9);
    for (const command of commands) {
      expect(isSecretWrapped(command.inputs.connection), command.name).toBe(true);
      const connection = reveal<Connection>(command.inputs.connection);
      expect(connection).toMatchObject({
        host: "203.0.113.10",
        port: 22,
        user: "root",
        privateKey: stack.secrets.sshPrivateKey,
        hostKey: hostsOf(readStackFile(devStackPath))[0]!.sshHostKey,
      });
    }
  });

  it("installs the host packages, including QEMU, libvirt and Node.js", () => {
    const packages = recorder.named("runner-fleet-hv1-packages");
    expect(packages.inputs.create).toBe("bash -s");
    const script = stdinOf(packages);
    expect(script).toContain(`apt-get install -y -q --no-install-recommends ${hostPackages("x64").join(" ")}`);
    for (const name of ["qemu-system-x86", "qemu-utils", "libvirt-daemon-system", "libvirt-clients", "dnsmasq-base", "nodejs"]) {
      expect(script).toContain(name);
    }
  });

  it("defines the storage pool and the filtered runner network for the configured subnet", () => {
    expect(stdinOf(recorder.named("runner-fleet-hv1-storage"))).toContain(`pool-define-as 'runner-fleet' dir --target ${hostLayout.imageDir}`);
    const network = stdinOf(recorder.named("runner-fleet-hv1-network"));
    const params = { subnet: "10.213.0.0/24", hostAddresses: ["203.0.113.10"] };
    expect(network).toContain(renderNetworkXml(params));
    expect(network).toContain(renderNwfilterXml(params));
    expect(String(recorder.named("runner-fleet-hv1-network").inputs.delete)).toContain("net-undefine");
  });

  it("builds the base image from the recipe, named and triggered by its hash, and deletes it on delete", () => {
    const image = recorder.custom().find((r) => r.name === "runner-fleet-hv1-image")!;
    expect(image.inputs.create).toBe(`bash -s -- '${imagePath(recipe)}'`);
    expect(stdinOf(image)).toBe(renderBuildScript(recipe));
    expect(image.inputs.triggers).toEqual([recipeHash(recipe)]);
    expect(String(image.inputs.delete)).toContain(`rm -f '${imagePath(recipe)}'`);
  });

  it("ships the bundled controller, triggered by its SHA-256", () => {
    const bundle = recorder.named("runner-fleet-hv1-bundle");
    expect(bundle.inputs.remotePath).toBe(hostLayout.bundle);
    const source = bundle.inputs.source as { path: Promise<string> };
    return source.path.then((path) => {
      expect(path).toMatch(/dist\/stack\/fleet\.cjs$/);
      const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
      expect(bundle.inputs.triggers).toEqual([sha]);
    });
  });

  it("writes the controller config from stdin, 0600, and it is one the controller accepts", () => {
    const command = recorder.named("runner-fleet-hv1-config");
    expect(command.inputs.create).toBe(configInstallCommand);
    expect(command.inputs.create).toContain("install -m 0600 -o root -g root /dev/stdin /etc/runner-fleet/controller.json");
    expect(command.inputs.logging).toBe("none");
    expect(isSecretWrapped(command.inputs.stdin)).toBe(true);
    const config = parseControllerConfig(JSON.parse(stdinOf(command)));
    expect(config.host).toEqual({ name: "hv1", vcpus: 16, memoryMiB: 65536 });
    expect(config.github.scope).toEqual({ kind: "org", org: "acme-corp" });
    expect(config.github.repositories).toEqual(["acme-corp/api", "acme-corp/web"]);
    expect(config.github.runnerGroupId).toBe(100);
    expect(config.github.auth).toEqual({ kind: "app", appId: 123456, installationId: 45678901, privateKey: stack.secrets.appPrivateKey });
    expect(config.webhook).toEqual({ secret: stack.secrets.webhookSecret, path: "/webhook" });
    expect(config.adminToken).toMatch(/^[0-9a-f]{64}$/);
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(config.image).toEqual({ base: `${hostLayout.imageDir}/${imageFileName(recipe)}`, boot: { kind: "disk" } });
    expect(config.network).toEqual({ kind: "libvirt-network", network: "runner-fleet", filter: "runner-fleet-guest" });
    expect(config.pools.map((p) => [p.name, p.labels, p.min, p.max, p.vcpus, p.memoryMiB])).toEqual([
      ["small", ["self-hosted", "linux", "x64", "runner-fleet", "small"], 1, 4, 2, 4096],
      ["large", ["self-hosted", "linux", "x64", "runner-fleet", "large"], 0, 1, 8, 16384],
    ]);
  });

  it("installs the systemd units and restarts the controller when code, config or units change", () => {
    const units = recorder.named("runner-fleet-hv1-units");
    const rendered = renderUnits({ listenPort: 8080 });
    expect(stdinOf(units)).toContain(rendered.controller);
    expect(stdinOf(units)).toContain(rendered.maintenanceTimer);
    expect(stdinOf(units)).toContain("systemctl enable runner-fleet-controller.service runner-fleet-maintenance.timer");
    const restart = recorder.named("runner-fleet-hv1-restart");
    expect(stdinOf(restart)).toContain("systemctl restart runner-fleet-controller.service");
    expect(stdinOf(restart)).toContain("http://127.0.0.1:8080/healthz");
    // The config hash is secret, which makes the trigger list secret as a whole.
    expect(isSecretWrapped(restart.inputs.triggers)).toBe(true);
    const triggers = reveal<unknown[]>(restart.inputs.triggers);
    const bundleSha = (recorder.named("runner-fleet-hv1-bundle").inputs.triggers as string[])[0];
    const configSha = createHash("sha256").update(stdinOf(recorder.named("runner-fleet-hv1-config"))).digest("hex");
    const unitsSha = createHash("sha256").update(stdinOf(units)).digest("hex");
    expect(triggers).toHaveLength(3);
    expect(triggers[0]).toBe(bundleSha);
    expect(triggers[1]).toBe(configSha);
    expect(triggers[2]).toBe(unitsSha);
  });

  it("exports per-host URLs and pools, the group id, the routing variables, the label set and a dashboard", async () => {
    expect((await resolve(outputs.hosts as never)).value).toEqual([
      {
        name: "hv1",
        address: "203.0.113.10",
        arch: "x64",
        pools: [
          { name: "small", labels: ["self-hosted", "linux", "x64", "runner-fleet", "small"], min: 1, max: 4 },
          { name: "large", labels: ["self-hosted", "linux", "x64", "runner-fleet", "large"], min: 0, max: 1 },
        ],
        statusUrl: "https://hv1.ci.acme-corp.example/status",
        metricsUrl: "https://hv1.ci.acme-corp.example/metrics",
      },
    ]);
    expect((await resolve(outputs.runnerGroupId as never)).value).toBe(100);
    expect(outputs.routingVariables).toMatchObject({ CI_SELF_HOSTED_TRUSTED_ROUTING: "false" });
    expect(outputs.labelSet).toEqual(["self-hosted", "linux", "x64", "runner-fleet"]);
    expect(outputs.webhookUrls).toEqual(["https://hv1.ci.acme-corp.example/webhook"]);
    const dashboard = JSON.parse(outputs.dashboard as string) as { panels: { targets: { expr: string }[] }[] };
    expect(dashboard.panels.length).toBeGreaterThan(10);
    expect(JSON.stringify(dashboard)).toContain(metricCatalog.jobs.name);
    expect(outputs.alertRules).toContain("alert: RunnerFleetLeak");
  });
});
