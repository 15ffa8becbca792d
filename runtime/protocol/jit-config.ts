/**
 * The encoded JIT config (`encoded_jit_config` of `generate-jitconfig`), in GitHub's shape, as
 * actions/runner reads it (src/Runner.Listener/Runner.cs): base64 of a JSON object mapping file
 * names to base64 file contents, which the runner writes into its root directory:
 *
 *   .runner                 RunnerSettings (src/Runner.Common/ConfigurationStore.cs): AgentId,
 *                           AgentName, PoolId, PoolName, ServerUrl, GitHubUrl, WorkFolder,
 *                           Ephemeral, DisableUpdate, UseV2Flow, ServerUrlV2, ...
 *   .credentials            CredentialData: Scheme "OAuth", Data { clientId, authorizationUrl,
 *                           requireFipsCryptography } (ConfigurationManager.cs, OAuthCredential.cs)
 *   .credentials_rsaparams  the runner's RSA key as .NET RSAParameters, serialized through
 *                           ISerializable: d, dp, dq, exponent, inverseQ, modulus, p, q (base64)
 *
 * actions/runner reads .runner and .credentials with Newtonsoft.Json: member names match in any
 * case, and GitHub writes numbers and booleans as strings ("AgentId": "42", "Ephemeral": "True").
 * The RSA parameters' names match exactly. This parser accepts the same.
 *
 * Only the emulator (and the in-memory GitHub) mint these and only the guest agent reads them;
 * the controller treats the string as an opaque secret and merely delivers it to the guest.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import * as z from "zod/mini";
import { describeIssues } from "../config/config-error.ts";

export const jitConfigFiles = { runner: ".runner", credentials: ".credentials", rsaParameters: ".credentials_rsaparams" } as const;

export interface JitRunnerSettings {
  AgentId: number;
  AgentName: string;
  PoolId: number;
  /** GitHub sends null for a runner group's default pool. */
  PoolName: string | null;
  /** Base URL of the runner service; for the emulator, of `runtime/protocol/runner-api.ts`. */
  ServerUrl: string;
  /** The broker's URL when `UseV2Flow` is set (GitHub's configs today). */
  ServerUrlV2?: string;
  GitHubUrl?: string;
  WorkFolder: string;
  Ephemeral: boolean;
  DisableUpdate: boolean;
  UseV2Flow: boolean;
}

export interface JitCredentials {
  Scheme: "OAuth";
  Data: { clientId: string; authorizationUrl: string; requireFipsCryptography: boolean };
}

/** An RSA private key as .NET's RSAParameters, each field base64 of a big-endian integer. */
export interface RsaKeyParameters {
  d: string;
  dp: string;
  dq: string;
  exponent: string;
  inverseQ: string;
  modulus: string;
  p: string;
  q: string;
}

export interface DecodedJitConfig {
  runner: JitRunnerSettings;
  credentials: JitCredentials;
  rsaParameters: RsaKeyParameters;
}

// ---- encoding (what GitHub's service writes) -------------------------------------------------

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
const dotnetBool = (value: boolean): string => (value ? "True" : "False");

export function encodeJitConfig(config: DecodedJitConfig): string {
  const { runner, credentials } = config;
  const settings = {
    AgentId: String(runner.AgentId),
    AgentName: runner.AgentName,
    DisableUpdate: dotnetBool(runner.DisableUpdate),
    Ephemeral: dotnetBool(runner.Ephemeral),
    PoolId: String(runner.PoolId),
    PoolName: runner.PoolName,
    ServerUrl: runner.ServerUrl,
    WorkFolder: runner.WorkFolder,
    GitHubUrl: runner.GitHubUrl,
    ServerUrlV2: runner.ServerUrlV2,
    UseV2Flow: dotnetBool(runner.UseV2Flow),
  };
  const data = { ...credentials.Data, requireFipsCryptography: dotnetBool(credentials.Data.requireFipsCryptography) };
  return b64(
    JSON.stringify({
      [jitConfigFiles.runner]: b64(JSON.stringify(settings)),
      [jitConfigFiles.credentials]: b64(JSON.stringify({ Scheme: credentials.Scheme, Data: data })),
      [jitConfigFiles.rsaParameters]: b64(JSON.stringify(config.rsaParameters)),
    }),
  );
}

/** What the fleet's own GitHub stand-ins put into a config; the rest is fixed. */
export interface JitRunnerIdentity {
  agentId: number;
  agentName: string;
  poolId: number;
  poolName: string | null;
  serverUrl: string;
  gitHubUrl: string;
  workFolder: string;
  /** The OAuth client id GitHub registers for the runner; the emulator's runner protocol takes it as the bearer token. */
  clientId: string;
}

/**
 * A config for an ephemeral, non-updating runner that speaks one protocol at ServerUrl (no
 * broker: UseV2Flow false). The RSA key is real but shared by the process (see `runnerKey`).
 */
export function mintJitConfig(identity: JitRunnerIdentity): string {
  return encodeJitConfig({
    runner: {
      AgentId: identity.agentId,
      AgentName: identity.agentName,
      PoolId: identity.poolId,
      PoolName: identity.poolName,
      ServerUrl: identity.serverUrl,
      GitHubUrl: identity.gitHubUrl,
      WorkFolder: identity.workFolder,
      Ephemeral: true,
      DisableUpdate: true,
      UseV2Flow: false,
    },
    credentials: {
      Scheme: "OAuth",
      Data: {
        clientId: identity.clientId,
        authorizationUrl: `${identity.serverUrl.replace(/\/+$/, "")}/_apis/oauth2/token/${identity.clientId}`,
        requireFipsCryptography: false,
      },
    },
    rsaParameters: rsaKeyParameters(runnerKey()),
  });
}

let sharedKey: KeyObject | undefined;

/**
 * One 2048-bit RSA key per process, made on first use. GitHub makes one per runner; nothing in
 * the fleet signs with it (the agent does no OAuth exchange), and a fresh key costs ~0.13 s of CPU.
 */
function runnerKey(): KeyObject {
  sharedKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  return sharedKey;
}

/** `key`'s parameters under .NET's names, base64 (JWK's fields are base64url of the same bytes). */
export function rsaKeyParameters(key: KeyObject): RsaKeyParameters {
  const jwk = key.export({ format: "jwk" });
  const std = (field: string | undefined): string => {
    if (field === undefined) throw new Error("not an RSA private key");
    return Buffer.from(field, "base64url").toString("base64");
  };
  return { d: std(jwk.d), dp: std(jwk.dp), dq: std(jwk.dq), exponent: std(jwk.e), inverseQ: std(jwk.qi), modulus: std(jwk.n), p: std(jwk.p), q: std(jwk.q) };
}

// ---- decoding (what actions/runner accepts) --------------------------------------------------

/** Thrown for a config that does not decode; names the file and field, never echoes a value. */
export class JitConfigError extends Error {
  constructor(problems: string[]) {
    super(`malformed JIT config: ${problems.join("; ")}`);
    this.name = "JitConfigError";
  }
}

const base64Text = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const plainFileName = /^\.?[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const url = z.string().check(z.refine((v) => /^https?:\/\/[^/\s]+/.test(v), "expected an http(s) URL"));
/** A value actions/runner's reader takes, converted: `accepts` decides, `convert` maps. */
const coerced = <T>(accepts: (v: unknown) => boolean, expected: string, convert: (v: unknown) => T) =>
  z.pipe(z.unknown().check(z.refine(accepts, expected)), z.transform(convert));
const id = coerced(
  (v) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) || (typeof v === "string" && /^\d{1,15}$/.test(v)),
  "expected an integer (number or decimal string)",
  Number,
);
const bool = coerced(
  (v) => typeof v === "boolean" || (typeof v === "string" && /^(true|false)$/i.test(v)),
  "expected true or false (boolean or string)",
  (v) => v === true || String(v).toLowerCase() === "true",
);
const base64Field = z.string().check(z.minLength(1), z.refine((v) => base64Text.test(v), "expected base64"));

const runnerSchema = z.object({
  AgentId: id,
  AgentName: z.string().check(z.minLength(1)),
  PoolId: id,
  PoolName: z._default(z.nullable(z.string()), null),
  ServerUrl: url,
  ServerUrlV2: z.optional(url),
  GitHubUrl: z.optional(z.string()),
  WorkFolder: z._default(z.string().check(z.minLength(1)), "_work"),
  Ephemeral: z._default(bool, false),
  DisableUpdate: z._default(bool, false),
  UseV2Flow: z._default(bool, false),
});
const runnerFields = Object.keys(runnerSchema.shape);

const credentialsSchema = z.object({
  Scheme: z.literal("OAuth"),
  Data: z.object({
    clientId: z.string().check(z.minLength(1)),
    authorizationUrl: url,
    requireFipsCryptography: z._default(bool, false),
  }),
});

const rsaSchema = z.object({
  d: base64Field,
  dp: base64Field,
  dq: base64Field,
  exponent: base64Field,
  inverseQ: base64Field,
  modulus: base64Field,
  p: base64Field,
  q: base64Field,
});

/** Throws a JitConfigError naming what is missing or malformed. */
export function decodeJitConfig(encoded: string): DecodedJitConfig {
  const files = parseJson(fromBase64(encoded, "the config"), "the config");
  const problems: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    if (!plainFileName.test(name)) problems.push(`file name ${JSON.stringify(name.slice(0, 40))} is not a plain file name`);
    else if (typeof content !== "string") problems.push(`${name}: expected base64 file content`);
  }
  for (const name of Object.values(jitConfigFiles)) if (!(name in files)) problems.push(`${name} is missing`);
  if (problems.length > 0) throw new JitConfigError(problems);

  const file = (name: string) => parseJson(fromBase64(files[name] as string, name), name);
  const runner = runnerSchema.safeParse(foldKeys(file(jitConfigFiles.runner), runnerFields));
  const rawCredentials = foldKeys(file(jitConfigFiles.credentials), ["Scheme", "Data"]);
  if (isObject(rawCredentials.Data)) rawCredentials.Data = foldKeys(rawCredentials.Data, ["clientId", "authorizationUrl", "requireFipsCryptography"]);
  const credentials = credentialsSchema.safeParse(rawCredentials);
  const rsaParameters = rsaSchema.safeParse(file(jitConfigFiles.rsaParameters));
  if (!runner.success) problems.push(...describeIssues(runner.error.issues, jitConfigFiles.runner));
  if (!credentials.success) problems.push(...describeIssues(credentials.error.issues, jitConfigFiles.credentials));
  if (!rsaParameters.success) problems.push(...describeIssues(rsaParameters.error.issues, jitConfigFiles.rsaParameters));
  if (!runner.success || !credentials.success || !rsaParameters.success) throw new JitConfigError(problems);
  return { runner: runner.data, credentials: credentials.data, rsaParameters: rsaParameters.data };
}

function fromBase64(text: string, what: string): string {
  const compact = text.replace(/\s+/g, "");
  if (compact === "" || !base64Text.test(compact)) throw new JitConfigError([`${what} is not base64`]);
  return Buffer.from(compact, "base64").toString("utf8");
}

function parseJson(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    throw new JitConfigError([`${what} is not JSON`]);
  }
  if (!isObject(parsed)) throw new JitConfigError([`${what} is not a JSON object`]);
  return parsed;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Renames keys that match one of `names` ignoring case (as Newtonsoft.Json matches members). */
function foldKeys(object: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const name = names.find((n) => n.toLowerCase() === key.toLowerCase()) ?? key;
    if (name in out) throw new JitConfigError([`${name} appears twice`]);
    out[name] = value;
  }
  return out;
}
