/**
 * Ajv set up for GitHub's published descriptions (the REST OpenAPI 3.0 document and the
 * webhooks OpenAPI 3.1 document), shared by the REST contract checker and the webhook checker.
 */
import { Ajv, type ErrorObject } from "ajv";
import ajvFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

// From this file (vitest, or the bench's CJS bundle in dist/, where `import.meta` is empty),
// else from the working directory.
const require = createRequire(typeof __filename === "string" ? __filename : join(process.cwd(), "package.json"));

/** Reads a JSON file shipped inside an npm package without importing the package itself. */
export function readPackageJson(specifier: string): unknown {
  return JSON.parse(readFileSync(require.resolve(specifier), "utf8")) as unknown;
}

/**
 * GitHub's documents use OpenAPI formats that are annotations, not JSON Schema formats
 * (`int64`, `repo.nwo`, ...). Ajv rejects unknown formats, so they are declared as always valid.
 */
const annotationFormats = ["int64", "int32", "double", "repo.nwo", "binary", "timestamp"];

export function createGitHubAjv(): Ajv {
  // strict: false because the documents carry OpenAPI keywords (example, x-github, discriminator)
  // that are not JSON Schema; they are annotations and must not fail compilation.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  ajvFormats.default(ajv);
  for (const format of annotationFormats) ajv.addFormat(format, true);
  return ajv;
}

/**
 * OpenAPI 3.0's `nullable: true` is not JSON Schema. Rewrites it in place, for the whole
 * document: `type: T` becomes `type: [T, "null"]`, an `enum` gains `null`, and a schema without
 * `type` (128 of them in GitHub's document, mostly `allOf`/`$ref` wrappers) becomes
 * `anyOf: [{type: "null"}, <schema>]`.
 */
export function rewriteNullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteNullable(item);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const schema = node as Record<string, unknown>;
  for (const value of Object.values(schema)) rewriteNullable(value);
  if (!("nullable" in schema)) return;
  const nullable = schema.nullable === true;
  delete schema.nullable;
  if (!nullable) return;
  if (typeof schema.type === "string") {
    schema.type = [schema.type, "null"];
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
    return;
  }
  if (Array.isArray(schema.type)) {
    if (!schema.type.includes("null")) schema.type = [...(schema.type as string[]), "null"];
    return;
  }
  const rest = { ...schema };
  for (const key of Object.keys(schema)) delete schema[key];
  schema.anyOf = [{ type: "null" }, rest];
}

/** One line per Ajv error, e.g. `/runner/labels/0 must have required property 'name'`. */
export function describeErrors(errors: ErrorObject[] | null | undefined, limit = 5): string {
  if (!errors || errors.length === 0) return "invalid";
  const lines = errors.slice(0, limit).map((e) => `${e.instancePath || "(root)"} ${e.message ?? e.keyword}`);
  if (errors.length > limit) lines.push(`... and ${errors.length - limit} more`);
  return lines.join("; ");
}
