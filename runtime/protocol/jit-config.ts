/**
 * The encoded JIT config, in the shape GitHub uses: base64 of a JSON object whose `.runner`,
 * `.credentials` and `.credentials_rsaparams` members are themselves base64 JSON documents.
 *
 * Only the emulator mints these and only the guest agent reads them; the controller treats the
 * string as an opaque secret and merely delivers it to the guest. The real actions/runner reads
 * GitHub's own configs the same way, which is why the controller does not care which is inside.
 */

export interface JitRunnerSettings {
  AgentId: number;
  AgentName: string;
  PoolId: number;
  PoolName: string;
  /** Base URL of the runner protocol (`runtime/protocol/runner-api.ts`). */
  ServerUrl: string;
  GitHubUrl: string;
  WorkFolder: string;
  Ephemeral: true;
  DisableUpdate: true;
}

export interface JitCredentials {
  Scheme: "OAuthAccessToken";
  Data: { AccessToken: string };
}

export interface DecodedJitConfig {
  runner: JitRunnerSettings;
  credentials: JitCredentials;
}

const b64json = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64");

export function encodeJitConfig(config: DecodedJitConfig): string {
  return b64json({
    ".runner": b64json(config.runner),
    ".credentials": b64json(config.credentials),
    // GitHub's configs carry an RSA key for OAuth; ours authenticate with a bearer token instead.
    ".credentials_rsaparams": b64json({}),
  });
}

/** Throws an Error naming the part that is missing or malformed (never echoing the secret). */
export function decodeJitConfig(encoded: string): DecodedJitConfig {
  const outer = parseBase64Json(encoded.trim(), "encoded JIT config");
  const runner = parseBase64Json(member(outer, ".runner"), ".runner");
  const credentials = parseBase64Json(member(outer, ".credentials"), ".credentials");
  if (typeof runner.ServerUrl !== "string" || typeof runner.AgentName !== "string") {
    throw new Error("JIT config .runner lacks ServerUrl or AgentName");
  }
  const data = credentials.Data as Record<string, unknown> | undefined;
  if (typeof data?.AccessToken !== "string") {
    throw new Error("JIT config .credentials lacks Data.AccessToken");
  }
  return {
    runner: runner as unknown as JitRunnerSettings,
    credentials: credentials as unknown as JitCredentials,
  };
}

function member(object: Record<string, unknown>, key: string): string {
  const value = object[key];
  if (typeof value !== "string") throw new Error(`JIT config lacks ${key}`);
  return value;
}

function parseBase64Json(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64").toString("utf8"));
  } catch {
    throw new Error(`${what} is not base64-encoded JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${what} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}
