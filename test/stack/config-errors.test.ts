/**
 * Each kind of bad config stops the real program with an error naming the key and what is wrong,
 * before a single resource is registered or a single GitHub call is made.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { checkControllerConfigs } from "../../components/controller-config-file.ts";
import { parseStackConfig } from "../../components/stack-config.ts";
import { devRepositories, devStack, hostsOf, parseMockConfig } from "./support/dev-stack.ts";
import { runProgram } from "./support/mock-program.ts";
import { generateDevSecrets } from "./support/stand-ins.ts";

// Key generation is the slow part; the cases do not care which keys they get.
const secrets = generateDevSecrets();

type Edit = (config: Record<string, unknown>) => void;

const pool = (config: Record<string, unknown>, i: number) =>
  (hostsOf(config)[0]!.pools as Record<string, unknown>[])[i]!;

interface Case {
  name: string;
  edit: Edit;
  error: RegExp;
  extraStandIns?: Record<string, string>;
}

const cases: Case[] = [
  {
    name: "a missing required key",
    edit: (c) => delete c["runner-fleet:hosts"],
    error: /runner-fleet:hosts: is required/,
  },
  {
    name: "an integer key that is not a number",
    edit: (c) => (c["runner-fleet:githubAppId"] = "twelve"),
    error: /runner-fleet:githubAppId: expected an integer/,
  },
  {
    name: "a boolean key that is not true/false",
    edit: (c) => (c["runner-fleet:trustedRouting"] = "yes"),
    error: /runner-fleet:trustedRouting: expected true or false/,
  },
  {
    name: "a wrong type inside a host",
    edit: (c) => (hostsOf(c)[0]!.vcpus = "sixteen"),
    error: /runner-fleet:hosts\[0\]\.vcpus: Invalid input: expected number, received string/,
  },
  {
    name: "an unknown field in a host",
    edit: (c) => (hostsOf(c)[0]!.cpus = 4),
    error: /runner-fleet:hosts\[0\]: Unrecognized key: "cpus"/,
  },
  {
    name: "a mistyped key",
    edit: (c) => (c["runner-fleet:host"] = c["runner-fleet:hosts"]),
    error: /runner-fleet:host: unknown key \(did you mean hosts\?\)/,
  },
  {
    name: "a plaintext secret",
    edit: (c) => (c["runner-fleet:githubAppPrivateKey"] = "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----"),
    error: /runner-fleet:githubAppPrivateKey: must be a secret, refusing a plaintext value/,
  },
  {
    name: "a secret where outputs publish the value",
    edit: (c) => (hostsOf(c)[0]!.sshHostKey = { secure: "placeholder" }),
    extraStandIns: { "runner-fleet:hosts[0].sshHostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGtDmiGgNR6Ta1QbVHfVz6xMKLYqZ5f6Uz9bQtkJ3Hsg" },
    error: /runner-fleet:hosts: is published in stack outputs and must not be a secret/,
  },
  {
    name: "a secret that is not a PEM key",
    edit: (c) => (c["runner-fleet:sshPrivateKey"] = { secure: "placeholder" }),
    extraStandIns: { "runner-fleet:sshPrivateKey": "ssh-ed25519 AAAA-not-a-private-key" },
    error: /runner-fleet:sshPrivateKey: expected a PEM private key/,
  },
  {
    name: "pool min greater than max",
    edit: (c) => Object.assign(pool(c, 0), { min: 5, max: 2 }),
    error: /runner-fleet:hosts\[0\]\.pools\[0\]\.min: min must not exceed max/,
  },
  {
    name: "a pool VM bigger than the host budget",
    edit: (c) => Object.assign(pool(c, 1), { vcpus: 32 }),
    error: /runner-fleet:hosts\[0\]\.pools\[1\]: one VM \(32 vCPU, 16384 MiB\) exceeds the host budget \(16 vCPU, 65536 MiB\)/,
  },
  {
    name: "warm floors that do not fit the host",
    edit: (c) => Object.assign(pool(c, 1), { min: 3, max: 3 }),
    error: /runner-fleet:hosts\[0\]\.pools: the warm floors .* need 26 vCPU and 53248 MiB, the host budget is 16 vCPU/,
  },
  {
    name: "duplicate host names",
    edit: (c) => hostsOf(c).push({ ...structuredClone(hostsOf(c)[0]!), address: "203.0.113.11" }),
    error: /runner-fleet:hosts\[1\]\.name: duplicate host name "hv1"/,
  },
  {
    name: "two hosts at one address",
    edit: (c) => hostsOf(c).push({ ...structuredClone(hostsOf(c)[0]!), name: "hv2" }),
    error: /runner-fleet:hosts\[1\]\.address: 203\.0\.113\.10:22 is already host "hv1"/,
  },
  {
    name: "duplicate pool names on a host",
    edit: (c) => (pool(c, 1).name = "small"),
    error: /runner-fleet:hosts\[0\]\.pools\[1\]\.name: duplicate pool name "small"/,
  },
  {
    name: "a repository that is not owner/name",
    edit: (c) => (c["runner-fleet:repositories"] = ["acme-corp/api", "web"]),
    error: /runner-fleet:repositories\[1\]: expected owner\/name/,
  },
  {
    name: "a repository of another owner",
    edit: (c) => (c["runner-fleet:repositories"] = ["acme-corp/api", "other-org/web"]),
    error: /runner-fleet:repositories\[1\]: owner "other-org" differs from githubOwner "acme-corp"/,
  },
  {
    name: "scope repo with several repositories",
    edit: (c) => (c["runner-fleet:scope"] = "repo"),
    error: /runner-fleet:repositories: scope repo serves exactly one repository/,
  },
  {
    name: "an unknown scope",
    edit: (c) => (c["runner-fleet:scope"] = "enterprise"),
    error: /runner-fleet:scope: expected org or repo/,
  },
  {
    name: "no GitHub credential",
    edit: (c) => {
      delete c["runner-fleet:githubAppId"];
      delete c["runner-fleet:githubAppInstallationId"];
      delete c["runner-fleet:githubAppPrivateKey"];
    },
    error: /runner-fleet:githubAppId: no GitHub credential: configure a GitHub App/,
  },
  {
    name: "an incomplete GitHub App",
    edit: (c) => delete c["runner-fleet:githubAppInstallationId"],
    error: /runner-fleet:githubAppInstallationId: required with githubAppId/,
  },
  {
    name: "a PAT next to a GitHub App",
    edit: (c) => (c["runner-fleet:githubToken"] = { secure: "placeholder" }),
    extraStandIns: { "runner-fleet:githubToken": "github_pat_11ABCDEFG0123456789_abcdefghij" },
    error: /runner-fleet:githubToken: a PAT is only a break-glass fallback: remove it while a GitHub App is configured/,
  },
  {
    name: "a host of an arch without a runner SHA-256",
    edit: (c) => (hostsOf(c)[0]!.arch = "arm64"),
    error: /runner-fleet:image\.runnerSha256\.arm64: required: host "hv1" is arm64/,
  },
  {
    name: "a runner SHA-256 that is not one",
    edit: (c) => ((c["runner-fleet:image"] as { runnerSha256: Record<string, string> }).runnerSha256.x64 = "abc123"),
    error: /runner-fleet:image\.runnerSha256\.x64: expected a SHA-256 as 64 lowercase hex digits/,
  },
  {
    name: "a runner user that is root",
    edit: (c) => ((c["runner-fleet:image"] as Record<string, unknown>).user = "root"),
    error: /runner-fleet:image\.user: the runner must not run as root/,
  },
  {
    name: "a host without an SSH key",
    edit: (c) => delete c["runner-fleet:sshPrivateKey"],
    error: /runner-fleet:sshPrivateKeys\.hv1: no SSH key for host "hv1"/,
  },
  {
    name: "an SSH key for a host that does not exist",
    edit: (c) => (c["runner-fleet:sshPrivateKeys"] = { hv9: { secure: "placeholder" } }),
    extraStandIns: { "runner-fleet:sshPrivateKeys.hv9": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n" },
    error: /runner-fleet:sshPrivateKeys\.hv9: no host is named "hv9"/,
  },
  {
    name: "a runner subnet that is not private",
    edit: (c) => (hostsOf(c)[0]!.runnerSubnet = "8.8.8.0/24"),
    error: /runner-fleet:hosts\[0\]\.runnerSubnet: expected a private IPv4 subnet/,
  },
  {
    name: "a public URL with a trailing slash",
    edit: (c) => (hostsOf(c)[0]!.publicUrl = "https://hv1.example/"),
    error: /runner-fleet:hosts\[0\]\.publicUrl: expected a base URL without trailing slash/,
  },
  {
    name: "a label with a space",
    edit: (c) => (pool(c, 0).labels = ["small vm"]),
    error: /runner-fleet:hosts\[0\]\.pools\[0\]\.labels\[0\]: labels cannot contain spaces or commas/,
  },
  {
    name: "one pool name with different labels on two hosts",
    edit: (c) => {
      const other = structuredClone(hostsOf(c)[0]!);
      Object.assign(other, { name: "hv2", address: "203.0.113.11" });
      (other.pools as Record<string, unknown>[])[0]!.labels = ["tiny"];
      hostsOf(c).push(other);
    },
    error: /runner-fleet:hosts\[1\]\.pools\[0\]\.labels: pool "small" has different labels on host "hv1"/,
  },
  {
    name: "names too long for GitHub runner names",
    edit: (c) => {
      c["runner-fleet:namePrefix"] = "a-rather-long-prefix-for-fleet";
      pool(c, 0).name = "a-very-long-pool-name-for-vms";
    },
    error: /runner-fleet:hosts\[0\]\.pools\[0\]\.name: runner names would be \d+ characters, GitHub allows 64/,
  },
  {
    name: "a workflow restriction that is not a workflow ref",
    edit: (c) => (c["runner-fleet:runnerGroupWorkflows"] = ["ci.yml"]),
    error: /runner-fleet:runnerGroupWorkflows\[0\]: expected owner\/repo\/\.github\/workflows\/FILE@REF/,
  },
  {
    name: "a short webhook secret",
    edit: () => undefined,
    extraStandIns: { "runner-fleet:webhookSecret": "short" },
    error: /runner-fleet:webhookSecret: must be at least 16 characters/,
  },
];

describe("bad stack config", () => {
  for (const testCase of cases) {
    it(`${testCase.name}: stops with a named error before any resource`, async () => {
      const { config } = devStack(testCase.edit, testCase.extraStandIns, secrets);
      const run = runProgram(config, devRepositories);
      await expect(run).rejects.toBeInstanceOf(pulumi.RunError);
      await expect(run).rejects.toThrow(testCase.error);
    });
  }

  it("registers nothing and calls nothing when the config is bad", async () => {
    const { config } = devStack((c) => Object.assign(pool(c, 0), { min: 9, max: 1 }), {}, secrets);
    const { Recorder } = await import("./support/mock-program.ts");
    const recorder = new Recorder(devRepositories);
    await pulumi.runtime.setMocks(recorder, "runner-fleet", "dev", false);
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);
    const { vi } = await import("vitest");
    vi.resetModules();
    await expect(import("../../index.ts")).rejects.toThrow(/min must not exceed max/);
    expect(recorder.registrations).toEqual([]);
    expect(recorder.calls).toEqual([]);
  });

  it("lists every problem at once", () => {
    const { config } = devStack((c) => {
      Object.assign(pool(c, 0), { min: 5, max: 2 });
      c["runner-fleet:repositories"] = ["nope"];
    }, {}, secrets);
    const values = Object.fromEntries(Object.entries(config.values).map(([k, v]) => [k.slice("runner-fleet:".length), v]));
    const secretKeys = new Set(config.secretKeys.map((k) => k.slice("runner-fleet:".length)));
    expect(() => parseStackConfig({ values, secretKeys })).toThrow(
      /repositories\[0\]: expected owner\/name[\s\S]*hosts\[0\]\.pools\[0\]\.min: min must not exceed max/,
    );
  });

  it("reports what the controller's own parser would refuse, per host", () => {
    const fleet = parseMockConfig(devStack(undefined, {}, secrets).config);
    expect(checkControllerConfigs(fleet)).toEqual([]);
    // A config the stack schema cannot produce, to show the controller's verdict is passed on.
    fleet.hosts[0]!.pools = [];
    expect(checkControllerConfigs(fleet)).toEqual([
      expect.stringMatching(/^runner-fleet:hosts\[0\] \(controller config\): pools: /),
    ]);
  });
});
