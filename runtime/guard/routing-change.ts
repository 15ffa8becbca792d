/**
 * The record of the last routing change, kept next to the routing variable as a second
 * repository variable so the guard needs no state of its own: whoever changes routing (the
 * guard, `fleet rollback`, `fleet restore`) writes it, and the guard reads it back.
 *
 * `CI_SELF_HOSTED_ROUTING_CHANGE` = JSON `{value, reason, triggers, at, by, source, autoRestore}`.
 */
import { z } from "zod";
import { triggerKinds, type Trigger } from "./trigger.ts";

export const routingChangeVariableName = "CI_SELF_HOSTED_ROUTING_CHANGE";

export interface RoutingChange {
  /** The routing variable's new value. */
  value: "true" | "false";
  reason: string;
  triggers: Trigger[];
  /** Epoch ms. */
  at: number;
  /** Who: `guard on h1`, `alice@ops-laptop (fleet rollback)`. */
  by: string;
  source: "guard" | "operator";
  /** Whether the guard may restore this rollback by itself (after the healthy period). */
  autoRestore: "allowed" | "disabled";
}

const recordSchema = z.object({
  value: z.enum(["true", "false"]),
  reason: z.string(),
  triggers: z
    .array(z.object({ kind: z.enum(triggerKinds as [Trigger["kind"], ...Trigger["kind"][]]), message: z.string() }))
    .default([]),
  at: z.iso.datetime({ offset: true }),
  by: z.string(),
  source: z.enum(["guard", "operator"]),
  autoRestore: z.enum(["allowed", "disabled"]).default("disabled"),
});

/** GitHub caps a variable at 48 KB; keep records far below, whatever the trigger messages say. */
const maxReasonChars = 2000;
const maxTriggerChars = 1000;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export function formatRoutingChange(change: RoutingChange): string {
  return JSON.stringify({
    value: change.value,
    reason: clip(change.reason, maxReasonChars),
    triggers: change.triggers.map((t) => ({ kind: t.kind, message: clip(t.message, maxTriggerChars) })),
    at: new Date(change.at).toISOString(),
    by: change.by,
    source: change.source,
    autoRestore: change.autoRestore,
  });
}

/**
 * The record, or undefined when there is none. A record that is not ours (hand-edited, another
 * version) is reported as `invalid`: the guard then treats routing as changed by hand.
 */
export function parseRoutingChange(raw: string | undefined): RoutingChange | { invalid: string } | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { invalid: "not JSON" };
  }
  const result = recordSchema.safeParse(value);
  if (!result.success) return { invalid: result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ") };
  const { at, ...rest } = result.data;
  return { ...rest, at: Date.parse(at) };
}

export function isRoutingChange(value: RoutingChange | { invalid: string } | undefined): value is RoutingChange {
  return value !== undefined && !("invalid" in value);
}
