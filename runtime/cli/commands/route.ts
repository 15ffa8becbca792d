/**
 * `fleet route`: the routing decision for one event, as the Action would make it. For
 * checking a payload by hand ("why did this PR go to hosted?") and for scripts.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../../config/config-error.ts";
import { decideRoute } from "../../routing/decide.ts";
import { defaultRoutingPolicy, parseRoutingPolicy, type RoutingPolicy } from "../../routing/policy.ts";
import type { Command } from "../command.ts";
import { ExitCode, UsageError } from "../exit-codes.ts";
import { parseFlags } from "../flags.ts";

const usage = `usage: fleet route --event NAME --payload FILE [--routing-var VALUE] [--policy FILE] [--json]

Prints the routing decision for one workflow run as one JSON object:
  {"route":"self-hosted"|"hosted","runsOn":...,"reason":{"code":...,"message":...}}

  --event NAME         the event name (GITHUB_EVENT_NAME), e.g. pull_request
  --payload FILE       the event payload JSON (GITHUB_EVENT_PATH, or a webhook delivery body)
  --routing-var VALUE  the raw value of CI_SELF_HOSTED_TRUSTED_ROUTING; leave it out when the
                       variable is unset (only the exact value "true" enables self-hosted)
  --policy FILE        routing policy (JSON or YAML): labels, associations, opt-ins
  --json               accepted for symmetry; the output is always JSON

Exit codes: 0 a decision was printed (hosted is not an error), 2 bad flags or unreadable files.`;

export const command: Command = {
  summary: "Print the trusted-routing decision for an event payload (JSON)",
  usage,
  async run(argv, io) {
    const flags = parseRouteFlags(argv);
    const payload = readPayload(flags.payload);
    const policy = flags.policy === undefined ? defaultRoutingPolicy : readPolicy(flags.policy);
    const decision = decideRoute(flags.event, payload, flags.routingVar, policy);
    io.stdout.write(JSON.stringify(decision) + "\n");
    return ExitCode.ok;
  },
};

interface Flags {
  event: string;
  payload: string;
  routingVar: string | undefined;
  policy: string | undefined;
}

function parseRouteFlags(argv: string[]): Flags {
  const values = parseFlags(argv, {
    event: { type: "string" },
    payload: { type: "string" },
    "routing-var": { type: "string" },
    policy: { type: "string" },
    json: { type: "boolean" },
  });
  const event = values.event;
  const payload = values.payload;
  if (typeof event !== "string" || event === "") throw new UsageError("--event NAME is required");
  if (typeof payload !== "string" || payload === "") throw new UsageError("--payload FILE is required");
  const routingVar = values["routing-var"];
  const policy = values.policy;
  return {
    event,
    payload,
    routingVar: typeof routingVar === "string" ? routingVar : undefined,
    policy: typeof policy === "string" ? policy : undefined,
  };
}

function readText(flag: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new UsageError(`${flag} ${file}: cannot read the file (${code})`);
  }
}

function readPayload(file: string): unknown {
  const text = readText("--payload", file);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--payload ${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function readPolicy(file: string): RoutingPolicy {
  const text = readText("--policy", file);
  let value: unknown;
  try {
    value = parseYaml(text) as unknown;
  } catch (error) {
    throw new UsageError(`--policy ${file}: not valid YAML or JSON (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`);
  }
  try {
    return parseRoutingPolicy(value, `--policy ${file}`);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}
