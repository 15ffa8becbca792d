/**
 * The project files agree with the program: Pulumi.yaml declares exactly the keys the program
 * reads (with their types, defaults and descriptions), Pulumi.dev.yaml is a complete stack that
 * passes validation, and docs/stack.md documents every key.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { configKeys } from "../../components/stack-config-keys.ts";
import type { ConfigKeySpec } from "../../components/stack-config-keys.ts";
import { devStack, parseMockConfig } from "./support/dev-stack.ts";
import { readStackFile } from "./support/stack-file.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const project = parse(readFileSync(`${root}Pulumi.yaml`, "utf8")) as {
  name: string;
  runtime: { name: string; options: Record<string, unknown> };
  main: string;
  config: Record<string, Record<string, unknown>>;
};

/** What Pulumi.yaml must say for a key (Pulumi cannot declare object types, see stack-config-keys.ts). */
function expectedDeclaration(spec: ConfigKeySpec): Record<string, unknown> {
  const type: Record<ConfigKeySpec["kind"], Record<string, unknown>> = {
    string: { type: "string" },
    integer: { type: "integer" },
    boolean: { type: "boolean" },
    "string-array": { type: "array", items: { type: "string" } },
    object: {},
    "object-array": {},
  };
  return {
    ...type[spec.kind],
    description: spec.description,
    ...(spec.default !== undefined ? { default: spec.default } : {}),
  };
}

describe("Pulumi.yaml", () => {
  it("runs index.ts with Node.js through tsx", () => {
    expect(project.name).toBe("runner-fleet");
    expect(project.main).toBe("index.ts");
    expect(project.runtime).toEqual({ name: "nodejs", options: { typescript: false, nodeargs: "--import tsx" } });
  });

  it("declares exactly the config keys the program reads, with type, description and default", () => {
    expect(Object.keys(project.config).sort()).toEqual(Object.keys(configKeys).sort());
    for (const [key, spec] of Object.entries(configKeys)) {
      expect(project.config[key], key).toEqual(expectedDeclaration(spec));
    }
  });

  it("only uses types Pulumi's project schema allows", () => {
    for (const [key, declaration] of Object.entries(project.config)) {
      if ("type" in declaration) expect(["string", "integer", "boolean", "array"], key).toContain(declaration.type);
      expect(typeof declaration.description, key).toBe("string");
    }
  });
});

describe("Pulumi.dev.yaml", () => {
  const stack = readStackFile(`${root}Pulumi.dev.yaml`);

  it("is a complete example: one host, two pools, every secret a secure placeholder", () => {
    const hosts = stack["runner-fleet:hosts"] as { pools: unknown[] }[];
    expect(hosts).toHaveLength(1);
    expect(hosts[0]!.pools).toHaveLength(2);
    for (const [key, spec] of Object.entries(configKeys) as [string, ConfigKeySpec][]) {
      const value = stack[`runner-fleet:${key}`];
      if (spec.secret && value !== undefined) expect(value, key).toEqual({ secure: expect.any(String) });
    }
    for (const key of Object.keys(stack)) expect(Object.keys(configKeys), key).toContain(key.replace(/^runner-fleet:/, ""));
  });

  it("passes validation once its secrets are set", () => {
    const config = parseMockConfig(devStack().config);
    expect(config.github.auth.kind).toBe("app");
    expect(config.trustedRouting).toBe(false);
    expect(config.webhook).toBeDefined();
  });
});

describe("docs/stack.md", () => {
  const docs = readFileSync(`${root}docs/stack.md`, "utf8");

  it("documents every config key", () => {
    for (const key of Object.keys(configKeys)) expect(docs, key).toContain(`\`${key}\``);
  });

  it("documents the deploy flow and the rollout of the routing variable", () => {
    for (const step of ["pulumi login", "pulumi stack init", "pulumi config set --secret", "pulumi preview", "pulumi up"]) {
      expect(docs).toContain(step);
    }
    expect(docs).toContain("CI_SELF_HOSTED_TRUSTED_ROUTING");
  });
});

describe("project defaults applied by the Pulumi CLI", () => {
  it("mean the same as keys left unset", () => {
    // The CLI hands the program every declared default as a config value of its own:
    // scalars as strings, structured values as JSON, none of them secret.
    const { config } = devStack();
    const withDefaults = { ...config, values: { ...config.values } };
    for (const [key, declaration] of Object.entries(project.config)) {
      const qualified = `runner-fleet:${key}`;
      if (!("default" in declaration) || qualified in withDefaults.values) continue;
      const value = declaration.default;
      withDefaults.values[qualified] = typeof value === "object" ? JSON.stringify(value) : String(value);
    }
    expect(Object.keys(withDefaults.values).length).toBe(Object.keys(configKeys).length);
    expect(JSON.stringify(parseMockConfig(withDefaults))).toBe(JSON.stringify(parseMockConfig(config)));
  });
});
