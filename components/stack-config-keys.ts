/**
 * Every stack config key the program reads, with the type and description `Pulumi.yaml` declares.
 *
 * One table for three readers: the config parser (how to decode a raw value, which keys must be
 * secrets), `Pulumi.yaml` (a test keeps its `config:` block identical to this table) and the
 * config reference in docs/stack.md (a test checks every key is documented).
 */

/**
 * How a raw config string is decoded. Pulumi's project config can only declare string, integer,
 * boolean and array types; `object` and arrays of objects cannot be declared (pulumi/pulumi#11321),
 * so those keys carry a description without a `type` and are type-checked by our own schema.
 */
export type ConfigKind = "string" | "integer" | "boolean" | "string-array" | "object" | "object-array";

export interface ConfigKeySpec {
  kind: ConfigKind;
  description: string;
  /** Absent: the key is required (the Pulumi CLI and our parser both insist on it). */
  default?: string | number | boolean | readonly string[] | Record<string, never>;
  /** A plaintext value is refused: it must be set with `pulumi config set --secret`. */
  secret?: boolean;
  /** The value ends up in stack outputs, so it must not be a secret (outputs would leak it). */
  published?: boolean;
}

export const configKeys = {
  githubOwner: {
    kind: "string",
    description: "GitHub organization (scope org) or the owner of the one repository (scope repo).",
    published: true,
  },
  scope: {
    kind: "string",
    description:
      "org: an org runner group visible to the selected repositories. repo: one repository's default runner group (user-owned repositories have no org).",
    default: "org",
    published: true,
  },
  repositories: {
    kind: "string-array",
    description: "Repositories (owner/name) whose trusted pull requests run on the fleet. Exactly one with scope repo.",
    published: true,
  },
  githubApiUrl: {
    kind: "string",
    description: "GitHub REST API base URL (change only for GitHub Enterprise Server).",
    default: "https://api.github.com",
  },
  githubAppId: {
    kind: "integer",
    description: "GitHub App id: the normal credential, for this stack and for the controllers. 0 means no App.",
    default: 0,
  },
  githubAppInstallationId: {
    kind: "integer",
    description: "Installation id of the GitHub App on githubOwner.",
    default: 0,
  },
  githubAppPrivateKey: {
    kind: "string",
    description: "The GitHub App's private key (PEM). Secret.",
    default: "",
    secret: true,
  },
  githubToken: {
    kind: "string",
    description: "Break-glass fallback only: a fine-grained personal access token, used when no App is configured. Secret.",
    default: "",
    secret: true,
  },
  webhookSecret: {
    kind: "string",
    description:
      "Shared secret of the workflow_job webhooks (16+ characters). Empty: no webhooks, the controllers only poll. Secret.",
    default: "",
    secret: true,
  },
  webhookPath: {
    kind: "string",
    description: "Path of the controller's webhook endpoint.",
    default: "/webhook",
  },
  adminToken: {
    kind: "string",
    description:
      "Bearer token for the controllers' drain/resume endpoints (16+ characters). Empty: a per-host token is derived from the GitHub credential. Secret.",
    default: "",
    secret: true,
  },
  trustedRouting: {
    kind: "boolean",
    description:
      "Value of CI_SELF_HOSTED_TRUSTED_ROUTING in every repository: false for the first rollout (workflows keep GitHub-hosted runners), true in steady state.",
    default: false,
    published: true,
  },
  fleetLabel: {
    kind: "string",
    description: "The fleet's own runner label, carried by every runner next to self-hosted, linux and the arch.",
    default: "runner-fleet",
    published: true,
  },
  runnerGroupName: {
    kind: "string",
    description: "Name of the org runner group (scope org).",
    default: "runner-fleet",
  },
  runnerGroupWorkflows: {
    kind: "string-array",
    description:
      "Optional: restrict the runner group to these workflows (owner/repo/.github/workflows/file.yml@ref). Empty: any workflow of the selected repositories.",
    default: [],
  },
  namePrefix: {
    kind: "string",
    description: "First part of every VM, runner and file name the controllers own.",
    default: "rf",
  },
  image: {
    kind: "object",
    description:
      "Runner base image recipe: runnerVersion, runnerSha256 (per arch), and optional release, cloudImageVersion, packages, user, diskGiB.",
  },
  hosts: {
    kind: "object-array",
    description:
      "Hypervisor hosts: name, address, arch, vcpus, memoryMiB, pools, and optional sshUser, sshPort, sshHostKey, listenAddress, listenPort, publicUrl, runnerSubnet.",
    published: true,
  },
  sshPrivateKey: {
    kind: "string",
    description: "SSH private key for every host that has no entry in sshPrivateKeys. Secret.",
    default: "",
    secret: true,
  },
  sshPrivateKeys: {
    kind: "object",
    description: "Per-host SSH private keys, by host name (pulumi config set --secret --path 'sshPrivateKeys.NAME'). Secret.",
    default: {},
    secret: true,
  },
  coordination: {
    kind: "object",
    description:
      "Optional: an existing PostgreSQL the hosts coordinate through, {postgresUrl: postgresql://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=verify-full} (pulumi config set --secret --path coordination.postgresUrl ...). Empty: each host on its own. Secret.",
    default: {},
    secret: true,
  },
  coordinator: {
    kind: "object",
    description:
      "Optional instead of coordination: install PostgreSQL on one of the hosts, {host, listenAddress, port, clients, tls: {kind: self-signed} or {kind: provided, certificate, ca}}. Only the hosts' addresses (or clients) may connect, over TLS.",
    default: {},
  },
  coordinatorPassword: {
    kind: "string",
    description: "The coordinator role's password (16+ characters). Empty: derived from the GitHub credential. Secret.",
    default: "",
    secret: true,
  },
  coordinatorTlsKey: {
    kind: "string",
    description: "The private key (PEM) of coordinator.tls.certificate, with tls kind provided. Secret.",
    default: "",
    secret: true,
  },
} as const satisfies Record<string, ConfigKeySpec>;

export type ConfigKey = keyof typeof configKeys;

export const configKeyNames = Object.keys(configKeys) as ConfigKey[];
