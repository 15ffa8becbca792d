/**
 * The policy pack over whole stacks the program declares (under mocks): the dev stack passes
 * every policy; stacks that break a guardrail are caught by the policy meant for it.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { policies } from "../../../policy/policies.ts";
import { devRepositories, devStack, hostsOf } from "../support/dev-stack.ts";
import { runProgram } from "../support/mock-program.ts";
import { stackResources } from "../support/stack-resources.ts";
import { generateDevSecrets } from "../support/stand-ins.ts";
import { validateResource, validateStack } from "./support.ts";

const secrets = generateDevSecrets();

/** Runs the whole pack over the deployed (mock) stack: policy name -> messages. */
async function runPack(): Promise<Record<string, string[]>> {
  const resources = stackResources();
  const found: Record<string, string[]> = {};
  for (const policy of policies) {
    const messages: string[] = [];
    if ("validateStack" in policy) {
      messages.push(...(await validateStack(policy as StackValidationPolicy, resources)).map((v) => v.message));
    } else {
      for (const r of resources) messages.push(...(await validateResource(policy as ResourceValidationPolicy, r.type, r.props)));
    }
    if (messages.length > 0) found[policy.name] = messages;
  }
  return found;
}

describe("the policy pack over declared stacks", () => {
  it("finds nothing wrong with the dev stack", async () => {
    await runProgram(devStack(undefined, {}, secrets).config, devRepositories);
    const resources = stackResources();
    // The pack really looked at the stack: hosts, images, webhooks, variables, commands.
    expect(resources.filter((r) => r.type.startsWith("runner-fleet:index:")).length).toBe(7);
    expect(resources.length).toBeGreaterThan(20);
    expect(await runPack()).toEqual({});
  });

  it("catches a controller exposed without a webhook secret", async () => {
    const { config } = devStack(
      (c) => {
        delete c["runner-fleet:webhookSecret"];
        hostsOf(c)[0]!.listenAddress = "0.0.0.0";
      },
      {},
      secrets,
    );
    await runProgram(config, devRepositories);
    expect(await runPack()).toEqual({
      "controller-not-exposed-without-webhook-secret": ["host hv1: the controller listens on 0.0.0.0 without a webhook secret"],
    });
  });

  it("flags the break-glass PAT and unpinned SSH host keys (advisory)", async () => {
    const pat = "github_pat_11ABCDEFG0123456789_abcdefghijklmnop";
    const { config } = devStack(
      (c) => {
        delete c["runner-fleet:githubAppId"];
        delete c["runner-fleet:githubAppInstallationId"];
        delete c["runner-fleet:githubAppPrivateKey"];
        c["runner-fleet:githubToken"] = { secure: "placeholder" };
        delete hostsOf(c)[0]!.sshHostKey;
      },
      { "runner-fleet:githubToken": pat },
      secrets,
    );
    await runProgram(config, devRepositories);
    const found = await runPack();
    expect(Object.keys(found).sort()).toEqual(["pat-is-break-glass", "ssh-host-key-pinned"]);
    expect(found["ssh-host-key-pinned"]).toHaveLength(9);
  });

  it("advises when the pools' ceilings overcommit the host", async () => {
    const { config } = devStack(
      (c) => {
        const pools = hostsOf(c)[0]!.pools as Record<string, unknown>[];
        pools[1]!.max = 3;
      },
      {},
      secrets,
    );
    await runProgram(config, devRepositories);
    expect(Object.keys(await runPack())).toEqual(["pool-ceilings-fit-host"]);
  });
});
