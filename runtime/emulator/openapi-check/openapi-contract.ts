/**
 * Checks HTTP exchanges against GitHub's published REST description, `@octokit/openapi` 23.0.2
 * (`generated/api.github.com.json`, read as a file: importing the package loads 385 MB).
 *
 * For every exchange: the route must be a documented operation; path and query parameters and
 * the JSON request body must satisfy the operation's schemas; the response status must be
 * documented, or on the list of undocumented statuses with their reasons (undocumented-statuses.ts),
 * and the JSON body must satisfy the response schema. Anything else is recorded as a violation;
 * every test file ends asserting none are left (test/support/openapi-check-setup.ts).
 */
import type { ValidateFunction } from "ajv";
import type { HttpExchange } from "../exchange.ts";
import { templatePattern } from "../router.ts";
import { createGitHubAjv, describeErrors, readPackageJson, rewriteNullable } from "./github-json-schema.ts";
import { undocumentedStatus } from "./undocumented-statuses.ts";

export interface Violation {
  kind: "unknown-route" | "parameter" | "request-body" | "status" | "response-body";
  method: string;
  path: string;
  status?: number;
  operationId?: string;
  detail: string;
}

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schemaPointer: string;
  type: string | undefined;
}

interface Operation {
  method: string;
  template: string;
  operationId: string;
  pattern: RegExp;
  /** Path parameter names, in the order of the pattern's groups. */
  names: string[];
  literalSegments: number;
  parameters: Parameter[];
  pointer: string;
  requestBody: { required: boolean; schemaPointer: string | undefined } | undefined;
  responses: Map<string, { schemaPointer: string | undefined; hasContent: boolean }>;
}

type Json = Record<string, unknown>;

const methods = ["get", "post", "put", "patch", "delete", "head"];

let shared: { doc: Json; operations: Operation[] } | undefined;

function escapePointer(segment: string): string {
  return encodeURIComponent(segment.replace(/~/g, "~0").replace(/\//g, "~1"));
}

function loadDocument(): { doc: Json; operations: Operation[] } {
  if (shared) return shared;
  const doc = readPackageJson("@octokit/openapi/generated/api.github.com.json") as Json;
  rewriteNullable(doc);
  const components = doc.components as Json;
  // Follows `$ref: #/components/<kind>/<name>` one level (responses, parameters, request bodies).
  const resolve = (node: Json, pointer: string): [Json, string] => {
    const ref = node.$ref;
    if (typeof ref !== "string") return [node, pointer];
    const [, , kind, name] = ref.split("/");
    return [(components[kind!] as Json)[name!] as Json, `/components/${kind}/${escapePointer(name!)}`];
  };
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
    const { pattern, names, literals } = templatePattern(template);
    for (const method of methods) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const pointer = `/paths/${escapePointer(template)}/${method}`;
      const parameters: Parameter[] = [];
      const rawParams = [
        ...((item.parameters as Json[] | undefined) ?? []).map((p, i) => [p, `/paths/${escapePointer(template)}/parameters/${i}`] as const),
        ...((op.parameters as Json[] | undefined) ?? []).map((p, i) => [p, `${pointer}/parameters/${i}`] as const),
      ];
      for (const [raw, at] of rawParams) {
        const [param, paramPointer] = resolve(raw, at);
        const schema = param.schema as Json | undefined;
        const type = Array.isArray(schema?.type) ? (schema.type as string[])[0] : (schema?.type as string | undefined);
        parameters.push({
          name: param.name as string,
          in: param.in as Parameter["in"],
          required: param.required as boolean | undefined,
          schemaPointer: `${paramPointer}/schema`,
          type,
        });
      }
      let requestBody: Operation["requestBody"];
      if (op.requestBody) {
        const [body, bodyPointer] = resolve(op.requestBody as Json, `${pointer}/requestBody`);
        const content = body.content as Json | undefined;
        requestBody = {
          required: body.required === true,
          schemaPointer: content?.["application/json"] ? `${bodyPointer}/content/application~1json/schema` : undefined,
        };
      }
      const responses = new Map<string, { schemaPointer: string | undefined; hasContent: boolean }>();
      for (const [status, raw] of Object.entries(op.responses as Json)) {
        const [response, responsePointer] = resolve(raw as Json, `${pointer}/responses/${status}`);
        const content = response.content as Json | undefined;
        const json = content?.["application/json"] as Json | undefined;
        responses.set(status, {
          hasContent: content !== undefined,
          schemaPointer: json?.schema ? `${responsePointer}/content/application~1json/schema` : undefined,
        });
      }
      operations.push({
        method: method.toUpperCase(),
        template,
        operationId: op.operationId as string,
        pattern,
        names,
        literalSegments: literals,
        parameters,
        pointer,
        requestBody,
        responses,
      });
    }
  }
  // A literal segment beats a parameter: `runners/downloads` before `runners/{runner_id}`.
  operations.sort((a, b) => b.literalSegments - a.literalSegments);
  shared = { doc, operations };
  return shared;
}

function coerce(value: string, type: string | undefined): unknown {
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === "boolean" && (value === "true" || value === "false")) return value === "true";
  return value;
}

export class OpenApiContract {
  readonly violations: Violation[] = [];
  requestsChecked = 0;
  responsesChecked = 0;
  /** operationId -> number of exchanges checked. */
  readonly operations = new Map<string, number>();
  /** `operationId status` pairs seen, e.g. `actions/generate-runner-jitconfig-for-repo 409`, with their counts. */
  readonly statuses = new Map<string, number>();
  /** The subset of `statuses` the description does not document but the allowance list accepts. */
  readonly undocumented = new Map<string, number>();

  private readonly ajv = createGitHubAjv();
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly document = loadDocument();

  constructor() {
    this.ajv.addSchema(this.document.doc, "gh");
  }

  /** Records the violations of one exchange (also returns them). */
  check(exchange: HttpExchange): Violation[] {
    const found: Violation[] = [];
    const base = { method: exchange.method, path: exchange.path, status: exchange.status };
    const match = this.find(exchange.method, exchange.path);
    if (!match) {
      found.push({ ...base, kind: "unknown-route", detail: `no documented operation for ${exchange.method} ${exchange.path}` });
      this.violations.push(...found);
      return found;
    }
    const { operation, pathValues } = match;
    const at = { ...base, operationId: operation.operationId };
    this.operations.set(operation.operationId, (this.operations.get(operation.operationId) ?? 0) + 1);
    const pair = `${operation.operationId} ${exchange.status}`;
    this.statuses.set(pair, (this.statuses.get(pair) ?? 0) + 1);

    // Request: parameters and body.
    this.requestsChecked++;
    for (const param of operation.parameters) {
      const raw = param.in === "path" ? pathValues.get(param.name) : param.in === "query" ? exchange.query[param.name] : undefined;
      if (param.in !== "path" && param.in !== "query") continue;
      if (raw === undefined) {
        if (param.required) found.push({ ...at, kind: "parameter", detail: `missing required ${param.in} parameter ${param.name}` });
        continue;
      }
      const validate = this.validator(param.schemaPointer);
      if (!validate(coerce(raw, param.type))) {
        found.push({ ...at, kind: "parameter", detail: `${param.in} parameter ${param.name}=${raw}: ${describeErrors(validate.errors)}` });
      }
    }
    for (const name of Object.keys(exchange.query)) {
      if (!operation.parameters.some((p) => p.in === "query" && p.name === name)) {
        found.push({ ...at, kind: "parameter", detail: `undocumented query parameter ${name}` });
      }
    }
    const body = exchange.requestBody;
    if (operation.requestBody?.schemaPointer) {
      if (body === undefined) {
        if (operation.requestBody.required) found.push({ ...at, kind: "request-body", detail: "missing required request body" });
      } else {
        const validate = this.validator(operation.requestBody.schemaPointer);
        if (!validate(body)) found.push({ ...at, kind: "request-body", detail: describeErrors(validate.errors) });
      }
    } else if (body !== undefined) {
      found.push({ ...at, kind: "request-body", detail: "operation takes no request body" });
    }

    // Response: documented status, then the body against its schema.
    this.responsesChecked++;
    const documented = operation.responses.get(String(exchange.status));
    let schemaPointer: string | undefined;
    if (documented) {
      schemaPointer = documented.schemaPointer;
      if (!documented.hasContent && exchange.responseBody !== undefined) {
        found.push({ ...at, kind: "response-body", detail: `status ${exchange.status} is documented without a body` });
      }
    } else if (undocumentedStatus(operation.operationId, exchange.status)) {
      this.undocumented.set(pair, (this.undocumented.get(pair) ?? 0) + 1);
      // Every allowed undocumented status is an error, answered with GitHub's generic error body.
      schemaPointer = "/components/schemas/basic-error";
    } else {
      found.push({ ...at, kind: "status", detail: `status ${exchange.status} is not documented (documented: ${[...operation.responses.keys()].join(", ")})` });
    }
    if (schemaPointer) {
      if (exchange.responseBody === undefined) {
        found.push({ ...at, kind: "response-body", detail: `status ${exchange.status} needs a JSON body` });
      } else {
        const validate = this.validator(schemaPointer);
        if (!validate(exchange.responseBody)) found.push({ ...at, kind: "response-body", detail: describeErrors(validate.errors) });
      }
    }
    this.violations.push(...found);
    return found;
  }

  /** Removes and returns the violations a test provoked on purpose (e.g. a body without `runner_group_id`). */
  takeViolations(predicate: (v: Violation) => boolean): Violation[] {
    const taken = this.violations.filter(predicate);
    const kept = this.violations.filter((v) => !predicate(v));
    this.violations.splice(0, this.violations.length, ...kept);
    return taken;
  }

  /** The documented operation a request goes to, if any (exported for the checker's own tests). */
  find(method: string, path: string): { operation: Operation; pathValues: Map<string, string> } | undefined {
    for (const operation of this.document.operations) {
      if (operation.method !== method.toUpperCase()) continue;
      const m = operation.pattern.exec(path);
      if (!m) continue;
      const pathValues = new Map(operation.names.map((name, i) => [name, decodeURIComponent(m[i + 1]!)]));
      return { operation, pathValues };
    }
    return undefined;
  }

  /** How often `status` answered `operationId` although undocumented (it was on the allowance list). */
  undocumentedCount(operationId: string, status: number): number {
    return this.undocumented.get(`${operationId} ${status}`) ?? 0;
  }

  summary(): string {
    return `${this.operations.size} operations, ${this.requestsChecked} requests and ${this.responsesChecked} responses checked, ${this.violations.length} violations`;
  }

  private validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `gh#${pointer}` });
      this.validators.set(pointer, validate);
    }
    return validate;
  }
}
