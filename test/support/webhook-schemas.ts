/**
 * Validates webhook payloads against GitHub's published webhook schemas,
 * `@octokit/openapi-webhooks` (`generated/api.github.com.json`, e.g. `workflow-job-queued`).
 */
import type { ValidateFunction } from "ajv";
import { createGitHubAjv, describeErrors, readPackageJson } from "../../runtime/emulator/openapi-check/github-json-schema.ts";

type Json = Record<string, unknown>;

let ajv: ReturnType<typeof createGitHubAjv> | undefined;
const validators = new Map<string, ValidateFunction>();

/** `workflow_job` + `in_progress` -> the schema of webhook `workflow-job-in-progress`. */
export function webhookValidator(event: string, action: string): ValidateFunction {
  const name = `${event}-${action}`.replace(/_/g, "-");
  let validate = validators.get(name);
  if (validate) return validate;
  if (!ajv) {
    ajv = createGitHubAjv();
    ajv.addSchema(readPackageJson("@octokit/openapi-webhooks/generated/api.github.com.json") as Json, "webhooks");
  }
  validate = ajv.compile({ $ref: `webhooks#/webhooks/${name}/post/requestBody/content/application~1json/schema` });
  validators.set(name, validate);
  return validate;
}

/** Problems with a payload, empty when it matches GitHub's schema. */
export function webhookPayloadProblems(event: string, payload: Json): string[] {
  const validate = webhookValidator(event, String(payload.action));
  return validate(payload) ? [] : [describeErrors(validate.errors, 10)];
}
