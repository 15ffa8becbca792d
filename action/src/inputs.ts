/**
 * The Action's inputs (strings, as the runner passes them) → a routing policy. Problems are
 * reported under the input's name (`self-hosted-labels: ...`), not the policy key.
 */
import { ConfigError } from "../../runtime/config/config-error.ts";
import { parseRoutingPolicy, type RoutingPolicy } from "../../runtime/routing/policy.ts";

export interface ActionInputs {
  /** Raw, untrimmed: ` true` must not enable routing. Empty when the variable is unset. */
  routingVariable: string;
  /** JSON array of labels; empty for the policy default. */
  selfHostedLabels: string;
  /** One label, or a JSON array of labels; empty for ubuntu-latest. */
  hostedRunsOn: string;
  mergeGroup: string;
  pushToDefaultBranch: string;
  /** Comma- or space-separated; empty for OWNER, MEMBER, COLLABORATOR. */
  trustedAssociations: string;
}

/** Input name (action.yml) for each field. */
export const inputNames = {
  routingVariable: "routing-variable",
  selfHostedLabels: "self-hosted-labels",
  hostedRunsOn: "hosted-runs-on",
  mergeGroup: "merge-group",
  pushToDefaultBranch: "push-to-default-branch",
  trustedAssociations: "trusted-associations",
} as const satisfies Record<keyof ActionInputs, string>;

const policyKeyToInput: Record<string, string> = {
  selfHostedRunsOn: inputNames.selfHostedLabels,
  hostedRunsOn: inputNames.hostedRunsOn,
  trustedAssociations: inputNames.trustedAssociations,
  mergeGroup: inputNames.mergeGroup,
  pushToDefaultBranch: inputNames.pushToDefaultBranch,
};

const source = "action inputs";

export function policyFromInputs(inputs: ActionInputs): RoutingPolicy {
  const problems: string[] = [];
  const policy: Record<string, unknown> = {};
  const set = (key: string, read: () => unknown): void => {
    try {
      const value = read();
      if (value !== undefined) policy[key] = value;
    } catch (error) {
      problems.push(`${policyKeyToInput[key]}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  set("selfHostedRunsOn", () => json(inputs.selfHostedLabels.trim(), "a JSON array of labels"));
  set("hostedRunsOn", () => {
    const text = inputs.hostedRunsOn.trim();
    return text.startsWith("[") ? json(text, "a label or a JSON array of labels") : text || undefined;
  });
  set("trustedAssociations", () => {
    const list = inputs.trustedAssociations.split(/[\s,]+/).filter((item) => item !== "");
    return list.length === 0 ? undefined : list;
  });
  set("mergeGroup", () => flag(inputs.mergeGroup));
  set("pushToDefaultBranch", () => flag(inputs.pushToDefaultBranch));
  if (problems.length > 0) throw new ConfigError(source, problems);

  try {
    return parseRoutingPolicy(policy, source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      source,
      error.problems.map((problem) => problem.replace(/^[A-Za-z]+/, (key) => policyKeyToInput[key] ?? key)),
    );
  }
}

function json(text: string, expected: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`expected ${expected}`);
  }
}

function flag(text: string): boolean | undefined {
  const value = text.trim();
  if (value === "") return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new Error(`expected true or false, got ${JSON.stringify(value.slice(0, 40))}`);
}
