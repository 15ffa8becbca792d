/**
 * The routing policy: where trusted and untrusted runs go, and which extra contexts count as
 * trusted. Every widening of trust is a separate, explicit key that defaults to off.
 *
 * Associations can be narrowed (for example to OWNER and MEMBER) but never widened: the schema
 * rejects CONTRIBUTOR, NONE, FIRST_TIMER etc. with an error rather than accepting them, because
 * those are people without write access and their code must not reach our hosts.
 */
import { z } from "zod";
import { labelSchema, normalizeLabel } from "../labels/label-set.ts";
import { parseOrThrow } from "../config/config-error.ts";

/** Every `author_association` value GitHub documents. */
export const githubAssociations = [
  "COLLABORATOR",
  "CONTRIBUTOR",
  "FIRST_TIMER",
  "FIRST_TIME_CONTRIBUTOR",
  "MANNEQUIN",
  "MEMBER",
  "NONE",
  "OWNER",
] as const;

/** The only associations that imply write access to the repository. */
export const trustableAssociations = ["OWNER", "MEMBER", "COLLABORATOR"] as const;
export type TrustableAssociation = (typeof trustableAssociations)[number];

export const defaultSelfHostedLabels = ["self-hosted", "linux", "x64", "runner-fleet"] as const;
export const defaultHostedRunsOn = "ubuntu-latest";

export const routingPolicySchema = z
  .object({
    /** Labels of the self-hosted route (the `runs-on` trusted runs get). Must include `self-hosted`. */
    selfHostedRunsOn: z.array(labelSchema).min(1).max(100).default([...defaultSelfHostedLabels]),
    /** Where everything else goes: one label or a label list of GitHub-hosted runners. */
    hostedRunsOn: z.union([labelSchema, z.array(labelSchema).min(1).max(100)]).default(defaultHostedRunsOn),
    trustedAssociations: z
      .array(
        z.enum(trustableAssociations, {
          error: "only OWNER, MEMBER and COLLABORATOR can be trusted (others lack write access)",
        }),
      )
      .min(1)
      .default([...trustableAssociations]),
    /** Opt-in: merge queue runs (`merge_group` checks_requested) of the repository itself. */
    mergeGroup: z.boolean().default(false),
    /** Opt-in: pushes to the repository's default branch by a human. */
    pushToDefaultBranch: z.boolean().default(false),
  })
  .strict()
  .superRefine((policy, ctx) => {
    if (!policy.selfHostedRunsOn.map(normalizeLabel).includes("self-hosted")) {
      ctx.addIssue({ code: "custom", path: ["selfHostedRunsOn"], message: 'must include "self-hosted"' });
    }
    // A hosted label that a self-hosted runner also carries would send untrusted runs to it.
    const selfHosted = new Set(policy.selfHostedRunsOn.map(normalizeLabel));
    selfHosted.add("self-hosted");
    const hosted = typeof policy.hostedRunsOn === "string" ? [policy.hostedRunsOn] : policy.hostedRunsOn;
    const shared = hosted.filter((label) => selfHosted.has(normalizeLabel(label)));
    if (shared.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["hostedRunsOn"],
        message: `must not use self-hosted labels (${shared.join(", ")})`,
      });
    }
  });

export type RoutingPolicy = z.output<typeof routingPolicySchema>;
export type RoutingPolicyInput = z.input<typeof routingPolicySchema>;

export const defaultRoutingPolicy: RoutingPolicy = routingPolicySchema.parse({});

export function parseRoutingPolicy(value: unknown, source = "routing policy"): RoutingPolicy {
  return parseOrThrow(routingPolicySchema, value ?? {}, source);
}
