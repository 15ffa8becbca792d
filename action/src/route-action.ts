/**
 * What the Action decides, from its inputs and the event, with no I/O of its own (the event
 * file is read through `readEvent`). Every failure becomes a hosted decision: the Action's
 * job is to let hosted CI run whatever happens to the self-hosted side.
 */
import { ConfigError } from "../../runtime/config/config-error.ts";
import { decideRoute, routingEnabled, type RouteDecision } from "../../runtime/routing/decide.ts";
import { defaultRoutingPolicy, parseRoutingPolicy, type RoutingPolicy } from "../../runtime/routing/policy.ts";
import { reason } from "../../runtime/routing/reasons.ts";
import { inputNames, policyFromInputs, type ActionInputs } from "./inputs.ts";

export interface ActionEvent {
  /** GITHUB_EVENT_NAME */
  name: string | undefined;
  /** GITHUB_EVENT_PATH */
  path: string | undefined;
  readEvent(path: string): string;
}

export interface ActionResult {
  decision: RouteDecision;
  /** Shown as workflow annotations: configuration problems the operator should fix. */
  warnings: string[];
}

export function routeForAction(inputs: ActionInputs, event: ActionEvent): ActionResult {
  // `${{ vars.X }}` of an unset variable is "": the Action cannot tell unset from empty.
  const variable = inputs.routingVariable === "" ? undefined : inputs.routingVariable;

  let policy: RoutingPolicy;
  try {
    policy = policyFromInputs(inputs);
  } catch (error) {
    const message = error instanceof ConfigError ? error.problems.join("; ") : String(error);
    return {
      decision: {
        route: "hosted",
        runsOn: fallbackHosted(inputs).hostedRunsOn,
        reason: reason("invalid-policy", `invalid inputs, using hosted runners: ${message}`),
      },
      warnings: [`runner-fleet routing: ${message}`],
    };
  }

  const name = event.name ?? "";
  if (!routingEnabled(variable)) return { decision: decideRoute(name, undefined, variable, policy), warnings: [] };

  let payload: unknown;
  try {
    if (event.path === undefined || event.path === "") throw new Error("GITHUB_EVENT_PATH is not set");
    payload = JSON.parse(event.readEvent(event.path)) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      decision: {
        route: "hosted",
        runsOn: policy.hostedRunsOn,
        reason: reason("malformed-payload", `cannot read the event payload: ${detail}`),
      },
      warnings: [`runner-fleet routing: cannot read the event payload: ${detail}`],
    };
  }
  return { decision: decideRoute(name, payload, variable, policy), warnings: [] };
}

/** The hosted target when the other inputs are broken: the hosted input alone, else the default. */
function fallbackHosted(inputs: ActionInputs): RoutingPolicy {
  try {
    const only = policyFromInputs({ ...emptyInputs, hostedRunsOn: inputs.hostedRunsOn });
    return parseRoutingPolicy({ hostedRunsOn: only.hostedRunsOn });
  } catch {
    return defaultRoutingPolicy;
  }
}

const emptyInputs: ActionInputs = Object.fromEntries(
  Object.keys(inputNames).map((key) => [key, ""]),
) as unknown as ActionInputs;
