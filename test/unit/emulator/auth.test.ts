import { createSign, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { credentialsOf, jwtMessages, verifyAppJwt } from "../../../runtime/emulator/auth.ts";

const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const app = { id: 42, clientId: "Iv1.abc", publicKey };
const now = 1_800_000_000;

function jwt(payload: Record<string, unknown>, options: { alg?: string; key?: typeof privateKey } = {}): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const head = `${enc({ alg: options.alg ?? "RS256", typ: "JWT" })}.${enc(payload)}`;
  const signature = createSign("RSA-SHA256").update(head).sign(options.key ?? privateKey).toString("base64url");
  return `${head}.${signature}`;
}

describe("verifyAppJwt (GitHub's app JWT rules)", () => {
  it("accepts what @octokit/auth-app sends: iat 30 s back, exp 10 minutes after iat", () => {
    expect(verifyAppJwt(jwt({ iat: now - 30, exp: now + 570, iss: 42 }), app, now)).toEqual({ ok: true, appId: 42 });
    expect(verifyAppJwt(jwt({ iat: now - 30, exp: now + 570, iss: "42" }), app, now).ok).toBe(true);
    expect(verifyAppJwt(jwt({ iat: now, exp: now + 60, iss: "Iv1.abc" }), app, now).ok).toBe(true);
  });
  it("rejects a signature from another key and unsigned or non-RS256 tokens", () => {
    expect(verifyAppJwt(jwt({ iat: now, exp: now + 60, iss: 42 }, { key: other.privateKey }), app, now)).toEqual({ ok: false, message: jwtMessages.undecodable });
    const [h, p] = jwt({ iat: now, exp: now + 60, iss: 42 }).split(".");
    expect(verifyAppJwt(`${h}.${p}.`, app, now).ok).toBe(false);
    expect(verifyAppJwt(jwt({ iat: now, exp: now + 60, iss: 42 }, { alg: "HS256" }), app, now)).toEqual({ ok: false, message: jwtMessages.undecodable });
    expect(verifyAppJwt("not-a-jwt", app, now).ok).toBe(false);
  });
  it("rejects an expired token with the message auth-app uses to correct clock skew", () => {
    expect(verifyAppJwt(jwt({ iat: now - 700, exp: now - 100, iss: 42 }), app, now)).toEqual({ ok: false, message: jwtMessages.expired });
    expect(verifyAppJwt(jwt({ iat: now - 600, exp: now, iss: 42 }), app, now).ok).toBe(false);
  });
  it("tolerates a minute of drift on iat but not more", () => {
    expect(verifyAppJwt(jwt({ iat: now + 60, exp: now + 600, iss: 42 }), app, now).ok).toBe(true);
    expect(verifyAppJwt(jwt({ iat: now + 61, exp: now + 600, iss: 42 }), app, now)).toEqual({ ok: false, message: jwtMessages.issuedAt });
    expect(verifyAppJwt(jwt({ iat: "yesterday", exp: now + 600, iss: 42 }), app, now)).toEqual({ ok: false, message: jwtMessages.issuedAt });
  });
  it("rejects exp more than ten minutes after iat", () => {
    expect(verifyAppJwt(jwt({ iat: now, exp: now + 600, iss: 42 }), app, now).ok).toBe(true);
    expect(verifyAppJwt(jwt({ iat: now, exp: now + 601, iss: 42 }), app, now)).toEqual({ ok: false, message: jwtMessages.tooLong });
  });
  it("rejects another app's id and a missing issuer", () => {
    expect(verifyAppJwt(jwt({ iat: now, exp: now + 60, iss: 43 }), app, now)).toEqual({ ok: false, message: jwtMessages.unknownApp });
    expect(verifyAppJwt(jwt({ iat: now, exp: now + 60 }), app, now)).toEqual({ ok: false, message: jwtMessages.issuer });
  });
});

describe("credentialsOf", () => {
  it("accepts `token X` and `bearer X` in any case", () => {
    expect(credentialsOf("token abc")).toBe("abc");
    expect(credentialsOf("Bearer abc")).toBe("abc");
    expect(credentialsOf("BEARER abc")).toBe("abc");
  });
  it("rejects other schemes and empty values", () => {
    expect(credentialsOf("Basic abc")).toBeUndefined();
    expect(credentialsOf("token")).toBeUndefined();
    expect(credentialsOf(undefined)).toBeUndefined();
  });
});
