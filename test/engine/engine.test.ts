/**
 * The stack through the real Pulumi engine: the CLI v3.248.0 that scripts/pulumi-tools.sh builds
 * from its Go module, a file backend, the passphrase secrets provider. The README's "Deploying for
 * real" steps are run word for word (bar the login), and bad input must stop `pulumi preview` with
 * an error naming the key, leaving the stack's state empty.
 *
 * What cannot run here (README, "The real Pulumi engine"): the GitHub and command provider plugins
 * and the Node.js language host; their Go modules are refused by this machine's module proxy.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { generateDevSecrets } from "../stack/support/stand-ins.ts";
import { EngineProject, repo } from "./support/engine.ts";

type StackConfig = Record<string, unknown>;
const stack = "prod";

let project: EngineProject;
beforeEach(() => {
  project = new EngineProject();
});
afterEach(() => project.remove());

/** The example stack file with `edit` applied, written where `cp Pulumi.dev.yaml Pulumi.prod.yaml` puts it. */
function copyDevStack(edit: (config: StackConfig) => void = () => undefined): void {
  const document = parse(readFileSync(join(repo, "Pulumi.dev.yaml"), "utf8")) as { config: StackConfig };
  edit(document.config);
  writeFileSync(join(project.dir, `Pulumi.${stack}.yaml`), stringify(document));
}

/** README, "Deploying for real": stack init, copy the example, set the three secrets. */
async function readmeSteps(edit?: (config: StackConfig) => void): Promise<void> {
  await project.ok(["stack", "init", stack, "--secrets-provider", "passphrase"]);
  copyDevStack(edit);
  const secrets = generateDevSecrets();
  await project.ok(["config", "set", "--secret", "githubAppPrivateKey"], secrets.appPrivateKey);
  await project.ok(["config", "set", "--secret", "webhookSecret", secrets.webhookSecret]);
  await project.ok(["config", "set", "--secret", "sshPrivateKey"], secrets.sshPrivateKey);
}

const customSteps = (steps: { type: string }[]) => steps.filter((s) => !s.type.startsWith("pulumi:pulumi:") && !s.type.startsWith("runner-fleet:"));

describe("the real Pulumi engine", () => {
  it("scripts/pulumi.sh runs the CLI built from github.com/pulumi/pulumi/pkg/v3 v3.248.0", async () => {
    const result = await project.ok(["version"]);
    expect(result.stdout.trim()).toBe("v3.248.0");
  });

  it("stores the README's secrets as ciphertext in the stack file", async () => {
    await readmeSteps();
    const file = readFileSync(join(project.dir, `Pulumi.${stack}.yaml`), "utf8");
    const config = (parse(file) as { config: StackConfig }).config;
    for (const key of ["githubAppPrivateKey", "webhookSecret", "sshPrivateKey"]) {
      const value = config[`runner-fleet:${key}`] as { secure?: string };
      expect(value.secure, key).toMatch(/^v1:/);
    }
    expect(file).not.toContain("PRIVATE KEY");
    const shown = await project.ok(["config", "--json"]);
    expect(JSON.parse(shown.stdout)["runner-fleet:webhookSecret"]).toMatchObject({ secret: true });
  });

  it("stops at a missing required key before the program runs, and changes nothing", async () => {
    await readmeSteps((config) => delete config["runner-fleet:githubOwner"]);
    const result = await project.pulumi(["preview"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/missing configuration values? 'githubOwner'/);
    expect(await project.resources(stack)).toEqual([]);
  });

  it("names a forgotten `secure:` placeholder only as 'bad value' (the README's troubleshooting says what it means)", async () => {
    await project.ok(["stack", "init", stack, "--secrets-provider", "passphrase"]);
    copyDevStack();
    const result = await project.pulumi(["preview"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("validating stack config: bad value");
    expect(readFileSync(join(repo, "README.md"), "utf8")).toContain("validating stack config: bad value");
  });

  it.each([
    {
      problem: "a plaintext secret",
      edit: (config: StackConfig) => (config["runner-fleet:adminToken"] = "not-a-secret-0123456789abcdef"),
      error: "adminToken: must be a secret, refusing a plaintext value",
    },
    {
      problem: "a bad value in a structured key",
      edit: (config: StackConfig) => {
        const hosts = config["runner-fleet:hosts"] as { pools: { max: number }[] }[];
        hosts[0]!.pools[0]!.max = -1;
      },
      error: "runner-fleet:hosts[0].pools[0].max: Too small",
    },
  ])("stops the program at $problem with the key named, registering nothing", async ({ edit, error }) => {
    await readmeSteps(edit);
    const preview = await project.previewProgram(stack);
    expect(preview.ok).toBe(false);
    expect(preview.error).toContain(error);
    expect(customSteps(preview.steps)).toEqual([]);
    expect(await project.resources(stack)).toEqual([]);
  });

  it("runs the README's stack through the engine up to its first provider plugin", async () => {
    await readmeSteps();
    const preview = await project.previewProgram(stack);
    // The program read and validated the decrypted config and declared the Fleet component and
    // its GitHub provider through the real resource monitor.
    expect(preview.steps).toContainEqual({ op: "create", type: "runner-fleet:index:Fleet", name: "runner-fleet" });
    if (!preview.ok) {
      // This machine cannot build the provider (see the file's header); nothing else may fail.
      expect(preview.error).toContain("no resource plugin 'pulumi-resource-github' found");
    }
    expect(await project.resources(stack)).toEqual([]);
  });
});
