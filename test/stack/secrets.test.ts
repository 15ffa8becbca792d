/**
 * Secrets stay secret end to end: from `secure:` config, through every resource input, to the
 * stack outputs. "Secret" here means what Pulumi encrypts in state and masks in logs: the value
 * travels inside Pulumi's secret wrapper, and nothing outside a wrapper contains it.
 */
import * as pulumi from "@pulumi/pulumi";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { SecretValue } from "../../components/secret-value.ts";
import { parseStackConfig } from "../../components/stack-config.ts";
import { devRepositories, devStack } from "./support/dev-stack.ts";
import { resolve, runProgram } from "./support/mock-program.ts";
import type { Recorder } from "./support/mock-program.ts";
import { isSecretWrapped, publicView, reveal } from "./support/secret-inputs.ts";

async function publicOutputs(outputs: Record<string, unknown>): Promise<{ text: string; secretNames: string[] }> {
  const parts: unknown[] = [];
  const secretNames: string[] = [];
  for (const [name, value] of Object.entries(outputs)) {
    if (pulumi.Output.isInstance(value)) {
      const { value: resolved, secret } = await resolve(value);
      if (secret) secretNames.push(name);
      else parts.push(resolved);
    } else {
      parts.push(value);
    }
  }
  return { text: JSON.stringify(parts), secretNames };
}

function expectNowhereInPlaintext(recorder: Recorder, outputsText: string, secrets: Record<string, string>): void {
  const inputsText = JSON.stringify(recorder.registrations.map((r) => publicView(r.inputs)));
  for (const [name, secret] of Object.entries(secrets)) {
    // Long secrets are checked by a distinctive slice too, so a re-encoded copy would also be found.
    const probes = [secret, secret.slice(Math.floor(secret.length / 2), Math.floor(secret.length / 2) + 24)];
    for (const probe of probes) {
      expect(inputsText.includes(probe), `${name} in plaintext inputs`).toBe(false);
      expect(outputsText.includes(probe), `${name} in plaintext outputs`).toBe(false);
    }
  }
}

describe("secrets in the dev stack", () => {
  it("never appear outside Pulumi's secret wrapper, in inputs or outputs", async () => {
    const { config, secrets } = devStack();
    const { recorder, outputs } = await runProgram(config, devRepositories);
    const { text, secretNames } = await publicOutputs(outputs);
    expect(secretNames).toEqual(["adminTokens"]);
    const adminTokens = (await resolve(outputs.adminTokens as pulumi.Output<Record<string, string>>)).value;
    expectNowhereInPlaintext(recorder, text, { ...secrets, adminToken: adminTokens.hv1! });
  });

  it("are wrapped wherever they are used: provider, webhook, SSH connections, config file, restart trigger", async () => {
    const { config, secrets } = devStack();
    const { recorder } = await runProgram(config, devRepositories);
    const provider = recorder.named("runner-fleet-github");
    expect(isSecretWrapped(provider.inputs.appAuth)).toBe(true);
    expect(reveal<string>(provider.inputs.appAuth)).toContain(JSON.stringify(secrets.appPrivateKey).slice(1, 40));

    const hook = recorder.ofType("github:index/organizationWebhook:OrganizationWebhook")[0]!;
    expect(isSecretWrapped(hook.inputs.configuration)).toBe(true);

    for (const command of recorder.custom().filter((r) => r.type.startsWith("command:"))) {
      expect(isSecretWrapped(command.inputs.connection), command.name).toBe(true);
      // Command lines are argv on the host and plaintext in state: never a secret there.
      for (const field of ["create", "delete", "update"] as const) {
        const line = command.inputs[field];
        if (line === undefined) continue;
        expect(isSecretWrapped(line), `${command.name}.${field}`).toBe(false);
        for (const secret of Object.values(secrets)) expect(String(line).includes(secret)).toBe(false);
      }
    }
    const configCommand = recorder.named("runner-fleet-hv1-config");
    expect(isSecretWrapped(configCommand.inputs.stdin)).toBe(true);
    expect(reveal<string>(configCommand.inputs.stdin)).toContain(JSON.stringify(secrets.webhookSecret));
    expect(isSecretWrapped(recorder.named("runner-fleet-hv1-restart").inputs.triggers)).toBe(true);
  });

  it("stay wrapped with the PAT fallback and with per-host SSH keys", async () => {
    const pat = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP";
    const hostKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";
    const { config, secrets } = devStack(
      (c) => {
        delete c["runner-fleet:githubAppId"];
        delete c["runner-fleet:githubAppInstallationId"];
        delete c["runner-fleet:githubAppPrivateKey"];
        delete c["runner-fleet:sshPrivateKey"];
        c["runner-fleet:githubToken"] = { secure: "placeholder" };
        c["runner-fleet:sshPrivateKeys"] = { hv1: { secure: "placeholder" } };
      },
      { "runner-fleet:githubToken": pat, "runner-fleet:sshPrivateKeys.hv1": hostKey },
    );
    expect(config.secretKeys.sort()).toEqual(
      ["runner-fleet:githubToken", "runner-fleet:sshPrivateKeys", "runner-fleet:webhookSecret"].sort(),
    );
    const { recorder, outputs } = await runProgram(config, devRepositories);
    const provider = recorder.named("runner-fleet-github");
    expect(provider.inputs.appAuth).toBeUndefined();
    expect(isSecretWrapped(provider.inputs.token)).toBe(true);
    expect(reveal(provider.inputs.token)).toBe(pat);
    const connection = reveal<{ privateKey: string }>(recorder.named("runner-fleet-hv1-packages").inputs.connection);
    expect(connection.privateKey).toBe(hostKey);
    const { text } = await publicOutputs(outputs);
    expectNowhereInPlaintext(recorder, text, { pat, hostKey, webhook: secrets.webhookSecret });
  });
});

describe("SecretValue", () => {
  it("prints a placeholder in strings, JSON and inspection, and reveals only on request", () => {
    const secret = new SecretValue("hunter2-hunter2-hunter2");
    expect(`${secret}`).toBe("[secret]");
    expect(JSON.stringify({ secret })).toBe('{"secret":"[secret]"}');
    expect(inspect({ secret })).not.toContain("hunter2");
    expect(secret.reveal()).toBe("hunter2-hunter2-hunter2");
  });
});

describe("config errors about secrets", () => {
  it("name the key but never echo the value", () => {
    const value = "plaintext-webhook-secret-do-not-echo";
    const { config } = devStack();
    const values = Object.fromEntries(
      Object.entries(config.values).map(([k, v]) => [k.replace(/^runner-fleet:/, ""), v]),
    );
    const secretKeys = new Set(config.secretKeys.map((k) => k.replace(/^runner-fleet:/, "")));
    secretKeys.delete("webhookSecret");
    const run = () => parseStackConfig({ values: { ...values, webhookSecret: value }, secretKeys });
    expect(run).toThrow(/runner-fleet:webhookSecret: must be a secret/);
    try {
      run();
    } catch (error) {
      expect(String(error)).not.toContain(value);
    }
    const short = () =>
      parseStackConfig({ values: { ...values, webhookSecret: "too-short" }, secretKeys: new Set([...secretKeys, "webhookSecret"]) });
    expect(short).toThrow(/runner-fleet:webhookSecret: must be at least 16 characters/);
    try {
      short();
    } catch (error) {
      expect(String(error)).not.toContain("too-short");
    }
  });
});
