/**
 * The JIT config format (runtime/protocol/jit-config.ts): GitHub's shape, as actions/runner
 * reads it, and a parser that names what is wrong without echoing the secret.
 */
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeJitConfig,
  encodeJitConfig,
  JitConfigError,
  jitConfigFiles,
  mintJitConfig,
  type DecodedJitConfig,
} from "../../../runtime/protocol/jit-config.ts";

const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64");
const unb64 = (text: string) => JSON.parse(Buffer.from(text, "base64").toString("utf8")) as Record<string, unknown>;
const filesOf = (encoded: string) => Object.fromEntries(Object.entries(unb64(encoded)).map(([k, v]) => [k, unb64(v as string)]));

const identity = {
  agentId: 42,
  agentName: "rf-hv1-small-1",
  poolId: 3,
  poolName: "runner-fleet",
  serverUrl: "http://10.0.2.100:8080/_runner",
  gitHubUrl: "https://github.com/acme",
  workFolder: "_work",
  clientId: "5b0ab2d4-6e5f-4c1b-8a59-1f0c2c1f7e01",
};
const minted = mintJitConfig(identity);
const mintedFiles = filesOf(minted);

describe("the encoded JIT config", () => {
  it("is base64 of a JSON map of the three files actions/runner writes, each base64 JSON", () => {
    expect(Object.keys(unb64(minted)).sort()).toEqual([".credentials", ".credentials_rsaparams", ".runner"]);
    // GitHub's service writes .runner's numbers and booleans as strings.
    expect(mintedFiles[".runner"]).toEqual({
      AgentId: "42",
      AgentName: "rf-hv1-small-1",
      DisableUpdate: "True",
      Ephemeral: "True",
      PoolId: "3",
      PoolName: "runner-fleet",
      ServerUrl: "http://10.0.2.100:8080/_runner",
      WorkFolder: "_work",
      GitHubUrl: "https://github.com/acme",
      UseV2Flow: "False",
    });
    expect(mintedFiles[".credentials"]).toEqual({
      Scheme: "OAuth",
      Data: {
        clientId: identity.clientId,
        authorizationUrl: `http://10.0.2.100:8080/_runner/_apis/oauth2/token/${identity.clientId}`,
        requireFipsCryptography: "False",
      },
    });
    // RSAParametersSerializable.GetObjectData's names (IRSAKeyManager.cs), base64 big-endian integers.
    expect(Object.keys(mintedFiles[".credentials_rsaparams"]!)).toEqual(["d", "dp", "dq", "exponent", "inverseQ", "modulus", "p", "q"]);
  });

  it("carries a working RSA private key", () => {
    const rsa = mintedFiles[".credentials_rsaparams"] as Record<string, string>;
    const url = (field: string) => Buffer.from(rsa[field]!, "base64").toString("base64url");
    const jwk = { kty: "RSA", n: url("modulus"), e: url("exponent"), d: url("d"), p: url("p"), q: url("q"), dp: url("dp"), dq: url("dq"), qi: url("inverseQ") };
    const key = createPrivateKey({ key: jwk, format: "jwk" });
    expect(key.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048 });
    expect(rsa.exponent).toBe("AQAB");
    const signature = sign("sha256", Buffer.from("jwt"), key);
    expect(verify("sha256", Buffer.from("jwt"), createPublicKey(key), signature)).toBe(true);
  });

  it("decodes what it encodes (property)", () => {
    const text = fc.string({ minLength: 1, maxLength: 30 });
    const config = fc.record({
      runner: fc.record({
        AgentId: fc.integer({ min: 1, max: 2 ** 40 }),
        AgentName: text,
        PoolId: fc.integer({ min: 0, max: 1e6 }),
        PoolName: fc.option(text, { nil: null }),
        ServerUrl: fc.webUrl(),
        ServerUrlV2: fc.option(fc.webUrl(), { nil: undefined }),
        GitHubUrl: fc.option(fc.webUrl(), { nil: undefined }),
        WorkFolder: text,
        Ephemeral: fc.boolean(),
        DisableUpdate: fc.boolean(),
        UseV2Flow: fc.boolean(),
      }),
      credentials: fc.record({
        Scheme: fc.constant("OAuth" as const),
        Data: fc.record({ clientId: fc.uuid(), authorizationUrl: fc.webUrl(), requireFipsCryptography: fc.boolean() }),
      }),
      rsaParameters: fc.constant(decodeJitConfig(minted).rsaParameters),
    });
    fc.assert(
      fc.property(config, (c) => {
        const withoutUndefined = JSON.parse(JSON.stringify(c)) as DecodedJitConfig;
        expect(decodeJitConfig(encodeJitConfig(c))).toEqual(withoutUndefined);
      }),
    );
  });

  it("reads GitHub's configs (broker flow, null pool name) and the camelCase files actions/runner writes itself", () => {
    const rsaParameters = mintedFiles[".credentials_rsaparams"];
    const github = b64({
      ".runner": b64({
        AgentId: "10450",
        AgentName: "my-runner",
        DisableUpdate: "True",
        Ephemeral: "True",
        PoolId: "1",
        PoolName: null,
        ServerUrl: "https://pipelinesghubeus10.actions.githubusercontent.com/abc/",
        WorkFolder: "/home/runner/work",
        GitHubUrl: "https://github.com/acme",
        ServerUrlV2: "https://broker.actions.githubusercontent.com/",
        UseV2Flow: "true",
      }),
      ".credentials": b64({ Scheme: "OAuth", Data: { clientId: "c1", authorizationUrl: "https://token.actions.githubusercontent.com/_apis/oauth2/token/c1", requireFipsCryptography: "True" } }),
      ".credentials_rsaparams": b64(rsaParameters),
    });
    expect(decodeJitConfig(github).runner).toMatchObject({ AgentId: 10450, PoolName: null, UseV2Flow: true, ServerUrlV2: "https://broker.actions.githubusercontent.com/" });
    expect(decodeJitConfig(github).credentials.Data.requireFipsCryptography).toBe(true);

    const written = b64({
      ".runner": b64({ agentId: 7, agentName: "r", poolId: 1, poolName: "Default", serverUrl: "https://ghe.example/x", gitHubUrl: "https://ghe.example/acme", workFolder: "_work", ephemeral: true }),
      ".credentials": b64({ scheme: "OAuth", data: { clientID: "c2", authorizationURL: "https://ghe.example/token" } }),
      ".credentials_rsaparams": b64(rsaParameters),
    });
    expect(decodeJitConfig(written)).toMatchObject({
      runner: { AgentId: 7, ServerUrl: "https://ghe.example/x", Ephemeral: true, DisableUpdate: false, UseV2Flow: false },
      credentials: { Scheme: "OAuth", Data: { clientId: "c2", authorizationUrl: "https://ghe.example/token", requireFipsCryptography: false } },
    });
  });
});

describe("a malformed JIT config", () => {
  const secret = identity.clientId;
  const edit = (file: string, change: (content: Record<string, unknown>) => unknown) => {
    const files = { ...mintedFiles };
    return b64(Object.fromEntries(Object.entries({ ...files, [file]: change(structuredClone(files[file]!)) }).map(([k, v]) => [k, typeof v === "string" ? v : b64(v)])));
  };
  const without = (key: string) => (content: Record<string, unknown>) => {
    delete content[key];
    return content;
  };
  const set = (key: string, value: unknown) => (content: Record<string, unknown>) => ({ ...content, [key]: value });

  it.each([
    ["not base64", `${minted.slice(0, 20)}!${minted.slice(21)}`, /the config is not base64/],
    ["base64 of something else", b64("ServerUrl=http://x"), /the config is not JSON/],
    ["a JSON array", b64([minted]), /the config is not a JSON object/],
    ["a missing file", b64({ ".runner": b64(mintedFiles[".runner"]), ".credentials": b64(mintedFiles[".credentials"]) }), /\.credentials_rsaparams is missing/],
    ["a path as a file name", b64({ ...unb64(minted), "../../etc/cron.d/x": b64("x") }), /is not a plain file name/],
    ["a file that is not base64", edit(".runner", () => "{not base64}"), /\.runner is not base64/],
    ["no ServerUrl", edit(".runner", without("ServerUrl")), /\.runner\.ServerUrl: /],
    ["a ServerUrl that is no http URL", edit(".runner", set("ServerUrl", "file:///etc/passwd")), /\.runner\.ServerUrl: expected an http\(s\) URL/],
    ["a non-numeric AgentId", edit(".runner", set("AgentId", "forty-two")), /\.runner\.AgentId: expected an integer/],
    ["an empty AgentName", edit(".runner", set("AgentName", "")), /\.runner\.AgentName: /],
    ["a boolean that is no boolean", edit(".runner", set("Ephemeral", "yes")), /\.runner\.Ephemeral: expected true or false/],
    ["a key listed twice", edit(".runner", set("serverurl", "http://other")), /ServerUrl appears twice/],
    ["another credential scheme", edit(".credentials", set("Scheme", "OAuthAccessToken")), /\.credentials\.Scheme: /],
    ["no clientId", edit(".credentials", (c) => ({ ...c, Data: { authorizationUrl: "http://x/token" } })), /\.credentials\.Data\.clientId: /],
    ["an RSA field missing", edit(".credentials_rsaparams", without("inverseQ")), /\.credentials_rsaparams\.inverseQ: /],
    // Names match exactly there: SerializationInfo looks them up as "modulus", not "Modulus".
    ["an RSA field in the wrong case", edit(".credentials_rsaparams", (c) => ({ ...without("modulus")(c), Modulus: c.modulus })), /\.credentials_rsaparams\.modulus: /],
    ["an RSA field that is not base64", edit(".credentials_rsaparams", set("d", "not base64!")), /\.credentials_rsaparams\.d: expected base64/],
  ])("is refused: %s", (_, encoded, message) => {
    let error: unknown;
    try {
      decodeJitConfig(encoded);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JitConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(secret);
  });

  it("lists every problem at once", () => {
    const encoded = b64({
      ".runner": b64({ AgentName: "r", ServerUrl: "http://x" }),
      ".credentials": b64({ Scheme: "OAuth", Data: {} }),
      ".credentials_rsaparams": b64({}),
    });
    const message = (() => {
      try {
        decodeJitConfig(encoded);
        return "";
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const field of [".runner.AgentId", ".runner.PoolId", ".credentials.Data.clientId", ".credentials.Data.authorizationUrl", ".credentials_rsaparams.modulus"]) {
      expect(message).toContain(`${field}: `);
    }
    expect(Object.values(jitConfigFiles)).toHaveLength(3);
  });
});
