/**
 * Turns a Pulumi.<stack>.yaml into what `pulumi.runtime.setAllConfig` takes, the way the Pulumi
 * CLI hands config to a program: scalars as strings, structured values as JSON, secrets
 * decrypted and listed as secret keys.
 *
 * The stack files carry `secure:` placeholders, not ciphertext (nothing here can decrypt), so the
 * tests supply plaintext stand-ins for them, looked up by key path (`runner-fleet:sshPrivateKey`,
 * `runner-fleet:sshPrivateKeys.hv1`). A secure value without a stand-in fails the test.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";

export interface MockConfig {
  /** Qualified key (`runner-fleet:hosts`) -> raw string. */
  values: Record<string, string>;
  /** Qualified keys Pulumi would hold as secrets. */
  secretKeys: string[];
}

export function readStackFile(path: string): Record<string, unknown> {
  const document = parse(readFileSync(path, "utf8")) as { config?: Record<string, unknown> };
  return document.config ?? {};
}

function isSecure(value: unknown): value is { secure: string } {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

export function toMockConfig(config: Record<string, unknown>, standIns: Record<string, string>): MockConfig {
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(config)) {
    let secret = false;
    const resolve = (node: unknown, path: string): unknown => {
      if (isSecure(node)) {
        const plaintext = standIns[path];
        if (plaintext === undefined) throw new Error(`no stand-in for secure value ${path}`);
        secret = true;
        return plaintext;
      }
      if (Array.isArray(node)) return node.map((item, i) => resolve(item, `${path}[${i}]`));
      if (typeof node === "object" && node !== null) {
        return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v, `${path}.${k}`)]));
      }
      return node;
    };
    const resolved = resolve(value, key);
    values[key] = typeof resolved === "string" ? resolved : typeof resolved === "object" ? JSON.stringify(resolved) : String(resolved);
    if (secret) secretKeys.add(key);
  }
  return { values, secretKeys: [...secretKeys] };
}
