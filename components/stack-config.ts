/**
 * Stack config, validated before any resource is declared: raw config strings in, a typed
 * FleetConfig out, or a ConfigError naming every offending key (`runner-fleet:hosts[0].pools[1].max`).
 *
 * Pure: the caller (read-stack-config.ts) supplies the raw values and which keys Pulumi holds as
 * secrets, so every rule here is tested with plain data.
 */
import { z } from "zod";
import { ConfigError, issuePath } from "../runtime/config/config-error.ts";
import { labelSchema, nameSchema, poolSchema, repositorySchema } from "../runtime/config/controller-config.ts";
import type { PoolConfig } from "../runtime/config/controller-config.ts";
import { maxRunnerNameLength } from "../runtime/controller/naming.ts";
import { checkCoordination, coordinationSettings, coordinationShape } from "./coordination-config.ts";
import type { CoordinationSettings } from "./coordination-config.ts";
import { configKeyNames, configKeys } from "./stack-config-keys.ts";
import type { ConfigKey, ConfigKeySpec } from "./stack-config-keys.ts";
import { SecretValue } from "./secret-value.ts";

export const arches = ["x64", "arm64"] as const;
export type Arch = (typeof arches)[number];

export const debianReleases = { bookworm: 12, trixie: 13 } as const;
export type DebianRelease = keyof typeof debianReleases;

export interface ImageSettings {
  release: DebianRelease;
  /** A dated Debian cloud image build (`20250210-2019`) or `latest`. */
  cloudImageVersion: string;
  /** Extra Debian packages on top of the ones every runner needs. */
  packages: string[];
  user: string;
  runnerVersion: string;
  runnerSha256: Partial<Record<Arch, string>>;
  diskGiB: number;
}

export interface HostSettings {
  name: string;
  address: string;
  sshPort: number;
  sshUser: string;
  sshHostKey?: string;
  sshPrivateKey: SecretValue;
  arch: Arch;
  vcpus: number;
  memoryMiB: number;
  listenAddress: string;
  listenPort: number;
  publicUrl?: string;
  runnerSubnet: string;
  /** Pools with the operator's own labels; base labels are added by labels.ts. */
  pools: PoolConfig[];
}

export type GithubAuthSettings =
  | { kind: "app"; appId: number; installationId: number; privateKey: SecretValue }
  | { kind: "token"; token: SecretValue };

export interface FleetConfig {
  github: {
    owner: string;
    scope: "org" | "repo";
    apiUrl: string;
    repositories: string[];
    auth: GithubAuthSettings;
  };
  webhook?: { secret: SecretValue; path: string };
  adminToken?: SecretValue;
  trustedRouting: boolean;
  fleetLabel: string;
  runnerGroup: { name: string; workflows: string[] };
  namePrefix: string;
  image: ImageSettings;
  hosts: HostSettings[];
  /** PostgreSQL the hosts coordinate through; absent: each host on its own, as before. */
  coordination?: CoordinationSettings;
}

/** The config as Pulumi hands it over: unqualified key -> raw string; plus which keys are secrets. */
export interface RawStackConfig {
  values: Readonly<Record<string, string | undefined>>;
  secretKeys: ReadonlySet<string>;
}

// ---------------------------------------------------------------------------------------------
// Stage 1: decode raw strings by declared kind, enforce secret/plaintext rules.

type Decoded = Partial<Record<ConfigKey, unknown>>;

function decode(raw: RawStackConfig, namespace: string, problems: string[]): Decoded {
  const out: Decoded = {};
  for (const key of Object.keys(raw.values)) {
    if (!(key in configKeys)) {
      const hint = closestKey(key);
      problems.push(`${namespace}:${key}: unknown key${hint ? ` (did you mean ${hint}?)` : ""}`);
    }
  }
  for (const key of configKeyNames) {
    const spec: ConfigKeySpec = configKeys[key];
    const text = raw.values[key];
    const name = `${namespace}:${key}`;
    const isSecret = raw.secretKeys.has(key);
    if (text === undefined) {
      if (spec.default === undefined) problems.push(`${name}: is required (pulumi config set ${key} ...)`);
      else out[key] = spec.secret ? wrapSecrets(spec.default) : spec.default;
      continue;
    }
    if (spec.secret) {
      if (!isSecret && !isEmptyValue(spec, text)) {
        problems.push(`${name}: must be a secret, refusing a plaintext value (pulumi config set --secret ${key} ...)`);
        continue;
      }
    } else if (spec.published && isSecret) {
      problems.push(`${name}: is published in stack outputs and must not be a secret`);
      continue;
    }
    const value = decodeValue(spec, text);
    if (value === undefined) {
      problems.push(`${name}: expected ${kindDescription[spec.kind]}`);
      continue;
    }
    out[key] = spec.secret ? wrapSecrets(value) : value;
  }
  return out;
}

const kindDescription: Record<ConfigKeySpec["kind"], string> = {
  string: "a string",
  integer: "an integer",
  boolean: "true or false",
  "string-array": "a list of strings",
  object: "an object",
  "object-array": "a list of objects",
};

function isEmptyValue(spec: ConfigKeySpec, text: string): boolean {
  if (spec.kind === "string") return text === "";
  if (spec.kind === "object") return text.trim() === "{}" || text === "";
  return false;
}

/** Decodes one raw value; undefined when it does not have the declared shape. */
function decodeValue(spec: ConfigKeySpec, text: string): unknown {
  switch (spec.kind) {
    case "string":
      return text;
    case "integer":
      return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
    case "boolean":
      return text === "true" ? true : text === "false" ? false : undefined;
    case "string-array": {
      const value = parseJson(text);
      return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
    }
    case "object": {
      const value = parseJson(text);
      return isPlainObject(value) ? value : undefined;
    }
    case "object-array": {
      const value = parseJson(text);
      return Array.isArray(value) && value.every(isPlainObject) ? value : undefined;
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Strings inside a secret key become SecretValues (an object key such as sshPrivateKeys holds several). */
function wrapSecrets(value: unknown): unknown {
  if (typeof value === "string") return value === "" ? undefined : new SecretValue(value);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrapSecrets(v)]));
  return value;
}

function closestKey(key: string): string | undefined {
  const lower = key.toLowerCase();
  return configKeyNames.find((k) => {
    const candidate = k.toLowerCase();
    return candidate.startsWith(lower) || lower.startsWith(candidate) || editDistance(candidate, lower) <= 2;
  });
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

// ---------------------------------------------------------------------------------------------
// Stage 2: the schema of the decoded values.

const secretSchema = (check: (plaintext: string) => boolean, message: string) =>
  z.instanceof(SecretValue).refine((secret) => check(secret.reveal()), message);

const pemKey = secretSchema((text) => text.includes("PRIVATE KEY"), "expected a PEM private key");
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 as 64 lowercase hex digits");

const imageSchema = z
  .object({
    release: z.enum(Object.keys(debianReleases) as [DebianRelease, ...DebianRelease[]]).default("bookworm"),
    cloudImageVersion: z
      .string()
      .regex(/^(latest|\d{8}-\d{4})$/, "expected latest or a dated build such as 20250210-2019")
      .default("latest"),
    packages: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, "expected a Debian package name"))
      .default([]),
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,30}$/, "expected a Unix user name")
      .refine((user) => user !== "root", "the runner must not run as root")
      .default("runner"),
    runnerVersion: z.string().regex(/^\d+\.\d+\.\d+$/, "expected an actions/runner release such as 2.329.0"),
    runnerSha256: z
      .object({ x64: sha256Hex.optional(), arm64: sha256Hex.optional() })
      .strict()
      .refine((shas) => shas.x64 !== undefined || shas.arm64 !== undefined, "give the SHA-256 of at least one arch"),
    diskGiB: z.number().int().min(8).max(1024).default(20),
  })
  .strict();

const privateSubnets = [
  [0x0a000000, 8],
  [0xac100000, 12],
  [0xc0a80000, 16],
] as const;

function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

const runnerSubnetSchema = z
  .cidrv4()
  .refine((cidr) => {
    const [address, bits] = cidr.split("/") as [string, string];
    const prefix = Number(bits);
    const value = ipv4ToNumber(address);
    const inside = privateSubnets.some(
      ([net, len]) => prefix >= len && value >>> (32 - len) === net >>> (32 - len),
    );
    return inside && prefix >= 16 && prefix <= 28;
  }, "expected a private IPv4 subnet (RFC 1918) between /16 and /28");

const hostSchema = z
  .object({
    name: nameSchema,
    address: z.string().regex(/^[A-Za-z0-9.:-]+$/, "expected a hostname or IP address"),
    sshPort: z.number().int().min(1).max(65535).default(22),
    sshUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "expected a Unix user name").default("root"),
    sshHostKey: z
      .string()
      .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*$/, "expected 'TYPE BASE64' as in known_hosts")
      .optional(),
    arch: z.enum(arches).default("x64"),
    vcpus: z.number().int().min(1),
    memoryMiB: z.number().int().min(256),
    listenAddress: z.union([z.ipv4(), z.ipv6()], { error: "expected an IP address" }).default("127.0.0.1"),
    listenPort: z.number().int().min(1).max(65535).default(8080),
    publicUrl: z
      .url({ protocol: /^https?$/, error: "expected an http(s) URL" })
      .regex(/^[^?#]*[^/?#]$/, "expected a base URL without trailing slash, query or fragment")
      .optional(),
    runnerSubnet: runnerSubnetSchema.default("10.213.0.0/24"),
    pools: z.array(poolSchema).min(1),
  })
  .strict();

const githubOwnerSchema = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "expected a GitHub user or organization login");

const stackSchema = z.object({
  githubOwner: githubOwnerSchema,
  scope: z.enum(["org", "repo"], { error: "expected org or repo" }),
  repositories: z.array(repositorySchema).min(1),
  githubApiUrl: z.url({ protocol: /^https$/, error: "expected an https URL" }),
  githubAppId: z.number().int().min(0),
  githubAppInstallationId: z.number().int().min(0),
  githubAppPrivateKey: pemKey.optional(),
  githubToken: secretSchema((text) => text.length >= 20, "expected a GitHub token").optional(),
  webhookSecret: secretSchema((text) => text.length >= 16, "must be at least 16 characters").optional(),
  webhookPath: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, "expected an absolute URL path"),
  adminToken: secretSchema((text) => text.length >= 16, "must be at least 16 characters").optional(),
  trustedRouting: z.boolean(),
  fleetLabel: labelSchema,
  runnerGroupName: z.string().min(1).max(64),
  runnerGroupWorkflows: z.array(
    z.string().regex(/^[^/\s]+\/[^/\s]+\/\.github\/workflows\/[^@\s]+@\S+$/, "expected owner/repo/.github/workflows/FILE@REF"),
  ),
  namePrefix: nameSchema,
  image: imageSchema,
  hosts: z.array(hostSchema).min(1),
  sshPrivateKey: pemKey.optional(),
  sshPrivateKeys: z.record(z.string(), pemKey.optional()),
  ...coordinationShape,
});

type Stack = z.output<typeof stackSchema>;

// ---------------------------------------------------------------------------------------------
// Stage 3: rules across keys.

type Problem = { path: PropertyKey[]; message: string };

function crossCheck(stack: Stack): Problem[] {
  const problems: Problem[] = [];
  const add = (path: PropertyKey[], message: string) => problems.push({ path, message });

  // Repositories: one owner, no duplicates, one repository in repo scope.
  const seenRepos = new Set<string>();
  stack.repositories.forEach((repository, i) => {
    const owner = repository.split("/")[0]!;
    if (owner.toLowerCase() !== stack.githubOwner.toLowerCase()) {
      add(["repositories", i], `owner "${owner}" differs from githubOwner "${stack.githubOwner}"`);
    }
    if (seenRepos.has(repository.toLowerCase())) add(["repositories", i], `duplicate repository "${repository}"`);
    seenRepos.add(repository.toLowerCase());
  });
  if (stack.scope === "repo" && stack.repositories.length !== 1) {
    add(["repositories"], "scope repo serves exactly one repository (use scope org for several)");
  }

  // Credentials: a GitHub App normally; a PAT only as the break-glass fallback, never both.
  const appKeys = stack.githubAppId > 0 || stack.githubAppInstallationId > 0 || stack.githubAppPrivateKey !== undefined;
  if (appKeys) {
    if (stack.githubAppId === 0) add(["githubAppId"], "required with githubAppInstallationId/githubAppPrivateKey");
    if (stack.githubAppInstallationId === 0) add(["githubAppInstallationId"], "required with githubAppId");
    if (stack.githubAppPrivateKey === undefined) add(["githubAppPrivateKey"], "required with githubAppId");
    if (stack.githubToken !== undefined) {
      add(["githubToken"], "a PAT is only a break-glass fallback: remove it while a GitHub App is configured");
    }
  } else if (stack.githubToken === undefined) {
    add(
      ["githubAppId"],
      "no GitHub credential: configure a GitHub App (githubAppId, githubAppInstallationId, githubAppPrivateKey) or, break-glass only, githubToken",
    );
  }

  // Hosts.
  const hostNames = new Map<string, number>();
  const endpoints = new Map<string, string>();
  const poolLabels = new Map<string, { host: string; labels: string }>();
  stack.hosts.forEach((host, h) => {
    const at = (...rest: PropertyKey[]) => ["hosts", h, ...rest];
    if (hostNames.has(host.name)) add(at("name"), `duplicate host name "${host.name}"`);
    hostNames.set(host.name, h);
    const endpoint = `${host.address.toLowerCase()}:${host.sshPort}`;
    const other = endpoints.get(endpoint);
    if (other !== undefined) add(at("address"), `${endpoint} is already host "${other}"`);
    endpoints.set(endpoint, host.name);

    if (stack.image.runnerSha256[host.arch] === undefined) {
      add(["image", "runnerSha256", host.arch], `required: host "${host.name}" is ${host.arch}`);
    }

    const poolNames = new Set<string>();
    let floorVcpus = 0;
    let floorMemory = 0;
    host.pools.forEach((pool, p) => {
      if (poolNames.has(pool.name)) add(at("pools", p, "name"), `duplicate pool name "${pool.name}"`);
      poolNames.add(pool.name);
      if (pool.vcpus > host.vcpus || pool.memoryMiB > host.memoryMiB) {
        add(
          at("pools", p),
          `one VM (${pool.vcpus} vCPU, ${pool.memoryMiB} MiB) exceeds the host budget (${host.vcpus} vCPU, ${host.memoryMiB} MiB)`,
        );
      }
      floorVcpus += pool.min * pool.vcpus;
      floorMemory += pool.min * pool.memoryMiB;
      const longest = `${stack.namePrefix}-${host.name}-${pool.name}-12345678`;
      if (longest.length > maxRunnerNameLength) {
        add(at("pools", p, "name"), `runner names would be ${longest.length} characters, GitHub allows ${maxRunnerNameLength}`);
      }
      const labels = JSON.stringify([...pool.labels].map((l) => l.toLowerCase()).sort());
      const seen = poolLabels.get(pool.name);
      if (seen && seen.labels !== labels) {
        add(at("pools", p, "labels"), `pool "${pool.name}" has different labels on host "${seen.host}"`);
      } else if (!seen) {
        poolLabels.set(pool.name, { host: host.name, labels });
      }
    });
    if (floorVcpus > host.vcpus || floorMemory > host.memoryMiB) {
      add(
        at("pools"),
        `the warm floors (sum of min x VM size) need ${floorVcpus} vCPU and ${floorMemory} MiB, the host budget is ${host.vcpus} vCPU and ${host.memoryMiB} MiB`,
      );
    }
    if (stack.sshPrivateKeys[host.name] === undefined && stack.sshPrivateKey === undefined) {
      add(
        ["sshPrivateKeys", host.name],
        `no SSH key for host "${host.name}": set sshPrivateKey or sshPrivateKeys.${host.name} (as secrets)`,
      );
    }
  });
  for (const name of Object.keys(stack.sshPrivateKeys)) {
    if (!hostNames.has(name)) add(["sshPrivateKeys", name], `no host is named "${name}"`);
  }
  problems.push(...checkCoordination(stack));
  return problems;
}

function toFleetConfig(stack: Stack): FleetConfig {
  const coordination = coordinationSettings(stack);
  const auth: GithubAuthSettings =
    stack.githubAppId > 0
      ? {
          kind: "app",
          appId: stack.githubAppId,
          installationId: stack.githubAppInstallationId,
          privateKey: stack.githubAppPrivateKey!,
        }
      : { kind: "token", token: stack.githubToken! };
  return {
    github: {
      owner: stack.githubOwner,
      scope: stack.scope,
      apiUrl: stack.githubApiUrl.replace(/\/+$/, ""),
      repositories: stack.repositories,
      auth,
    },
    ...(stack.webhookSecret ? { webhook: { secret: stack.webhookSecret, path: stack.webhookPath } } : {}),
    ...(stack.adminToken ? { adminToken: stack.adminToken } : {}),
    trustedRouting: stack.trustedRouting,
    fleetLabel: stack.fleetLabel,
    runnerGroup: { name: stack.runnerGroupName, workflows: stack.runnerGroupWorkflows },
    namePrefix: stack.namePrefix,
    image: stack.image,
    hosts: stack.hosts.map((host) => {
      const { sshHostKey, publicUrl, ...rest } = host;
      return {
        ...rest,
        ...(sshHostKey !== undefined ? { sshHostKey } : {}),
        ...(publicUrl !== undefined ? { publicUrl } : {}),
        sshPrivateKey: (stack.sshPrivateKeys[host.name] ?? stack.sshPrivateKey)!,
      };
    }),
    ...(coordination !== undefined ? { coordination } : {}),
  };
}

/** Parses and checks the stack config, or throws a ConfigError listing every problem. */
export function parseStackConfig(raw: RawStackConfig, namespace = "runner-fleet"): FleetConfig {
  const source = "stack config";
  const problems: string[] = [];
  const decoded = decode(raw, namespace, problems);
  if (problems.length > 0) throw new ConfigError(source, problems);

  const result = stackSchema.safeParse(decoded, {
    error: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "is required" : undefined),
  });
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => `${namespace}:${issuePath(issue.path)}: ${issue.message}`),
    );
  }
  const cross = crossCheck(result.data);
  if (cross.length > 0) {
    throw new ConfigError(
      source,
      cross.map((problem) => `${namespace}:${issuePath(problem.path)}: ${problem.message}`),
    );
  }
  return toFleetConfig(result.data);
}
