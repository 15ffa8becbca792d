/**
 * Real webhook payloads from @octokit/webhooks-examples, and the fork and bot variants the
 * routing tests derive from them (the package has no fork or bot pull requests).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export type Payload = Record<string, unknown>;

interface Definition {
  name: string;
  examples: Payload[];
}

let definitions: Definition[] | undefined;

export function examples(eventName: "pull_request" | "push" | "merge_group" | "workflow_job"): Payload[] {
  if (!definitions) {
    const file = createRequire(import.meta.url).resolve("@octokit/webhooks-examples");
    definitions = JSON.parse(readFileSync(file, "utf8")) as Definition[];
  }
  const found = definitions.find((d) => d.name === eventName);
  if (!found || found.examples.length === 0) throw new Error(`no ${eventName} examples in @octokit/webhooks-examples`);
  return found.examples.map((example) => structuredClone(example));
}

/** Sets a dotted path in a deep clone (creating objects on the way), or deletes it for `undefined`. */
export function withField(payload: Payload, path: string, value: unknown): Payload {
  const copy = structuredClone(payload);
  const keys = path.split(".");
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

export function get(payload: unknown, path: string): unknown {
  let node = payload;
  for (const key of path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The pull request comes from a fork: another repository (another id and owner). */
export function forkOf(payload: Payload): Payload {
  const head = structuredClone(get(payload, "pull_request.head.repo")) as Record<string, unknown>;
  const name = String(head.name);
  return withField(payload, "pull_request.head.repo", {
    ...head,
    id: Number(head.id) + 1_000_000,
    full_name: `mallory/${name}`,
    fork: true,
    owner: { login: "mallory", id: 666, type: "User" },
  });
}

/** The fork was deleted after the pull request was opened: GitHub sends `head.repo: null`. */
export function deletedHeadOf(payload: Payload): Payload {
  return withField(payload, "pull_request.head.repo", null);
}

export function botTypeSenderOf(payload: Payload): Payload {
  return withField(withField(payload, "sender.type", "Bot"), "sender.login", "renovate");
}

export function botLoginSenderOf(payload: Payload): Payload {
  return withField(payload, "sender.login", "dependabot[bot]");
}
