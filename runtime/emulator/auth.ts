/**
 * GitHub App authentication as GitHub applies it.
 *
 * An app signs a JWT (RS256) with its private key; GitHub checks the signature against the
 * app's public key, `iss` (the app id or client id), and the time claims: `iat` may not lie in
 * the future (beyond a minute of clock drift), `exp` must lie in the future and no more than ten
 * minutes after `iat`. The app trades the JWT for an installation access token that lasts an hour.
 *
 * The 401 messages are GitHub's own: `@octokit/auth-app` recognises the time-claim ones and
 * retries with the clock difference taken from the response's `Date` header.
 */
import { createPublicKey, randomBytes, verify, type KeyObject } from "node:crypto";

export const jwtMessages = {
  undecodable: "A JSON web token could not be decoded",
  issuer: "'Issuer' claim ('iss') must be an Integer",
  issuedAt: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
  expired: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  tooLong: "'Expiration time' claim ('exp') is too far in the future",
  unknownApp: "Integration not found",
} as const;

/** Seconds of clock drift GitHub tolerates on `iat`. */
export const allowedDriftSeconds = 60;
/** Longest JWT lifetime GitHub accepts. */
export const maxJwtLifetimeSeconds = 600;

export type JwtCheck = { ok: true; appId: number } | { ok: false; message: string };

function base64UrlJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies an app JWT. Pure apart from the signature check; `nowSeconds` is epoch seconds. */
export function verifyAppJwt(
  token: string,
  app: { id: number; clientId?: string; publicKey: KeyObject },
  nowSeconds: number,
): JwtCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, message: jwtMessages.undecodable };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = base64UrlJson(headerPart);
  const payload = base64UrlJson(payloadPart);
  if (!header || !payload || header.alg !== "RS256") return { ok: false, message: jwtMessages.undecodable };
  const signed = verify(
    "RSA-SHA256",
    Buffer.from(`${headerPart}.${payloadPart}`),
    app.publicKey,
    Buffer.from(signaturePart, "base64url"),
  );
  if (!signed) return { ok: false, message: jwtMessages.undecodable };
  const iss = payload.iss;
  const issuerMatches = String(iss) === String(app.id) || (app.clientId !== undefined && iss === app.clientId);
  if (iss === undefined || (typeof iss !== "number" && typeof iss !== "string")) return { ok: false, message: jwtMessages.issuer };
  if (!issuerMatches) return { ok: false, message: jwtMessages.unknownApp };
  const { iat, exp } = payload;
  if (typeof iat !== "number" || !Number.isInteger(iat) || iat > nowSeconds + allowedDriftSeconds) {
    return { ok: false, message: jwtMessages.issuedAt };
  }
  if (typeof exp !== "number" || exp <= nowSeconds) return { ok: false, message: jwtMessages.expired };
  if (exp - iat > maxJwtLifetimeSeconds || exp > nowSeconds + maxJwtLifetimeSeconds + allowedDriftSeconds) {
    return { ok: false, message: jwtMessages.tooLong };
  }
  return { ok: true, appId: app.id };
}

export function publicKeyFromPem(pem: string): KeyObject {
  // createPublicKey also accepts a private key PEM and derives the public half.
  return createPublicKey(pem);
}

/** `token X`, `bearer X` (any case) -> X. */
export function credentialsOf(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

export function looksLikeJwt(credential: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(credential) && credential.startsWith("eyJ");
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A random token with GitHub's prefix convention (`ghs_` installation tokens, ...). */
export function mintToken(prefix: string, length = 36): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}
