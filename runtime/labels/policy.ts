/**
 * The label policy file (YAML or JSON): which `runs-on` labels workflows may use.
 *
 *   requiredBase: [self-hosted, linux, x64, runner-fleet]   # every fleet job names all of these
 *   allowed: [large]                                         # further labels fleet jobs may add
 *   hostedAllowed: [ubuntu-latest, ubuntu-24.04]             # optional: GitHub-hosted labels allowed
 *
 * `requiredBase` must hold `self-hosted`, `linux`, the architecture label (at most one; leave it
 * out for a fleet of mixed architectures, as the stack's CI_SELF_HOSTED_RUNS_ON does) and at
 * least one more label: the fleet's own (every label that is none of those). Without the fleet
 * label a `self-hosted` job can land on any self-hosted runner of the org.
 */
import { z } from "zod";
import { parseOrThrow } from "../config/config-error.ts";
import { hasLabel, labelSchema, normalizeLabel, uniqueLabels } from "./label-set.ts";

/** Architecture labels of self-hosted runners (GitHub spells them X64, ARM64, ARM, X86). */
export const architectureLabels = ["x64", "arm64", "arm", "x86"] as const;
const genericBase = ["self-hosted", "linux"];

const isArchitecture = (label: string): boolean => (architectureLabels as readonly string[]).includes(normalizeLabel(label));

export const labelPolicySchema = z
  .object({
    requiredBase: z.array(labelSchema).min(3).max(100),
    allowed: z.array(labelSchema).max(100).default([]),
    hostedAllowed: z.array(labelSchema).min(1).optional(),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const base = policy.requiredBase;
    for (const label of genericBase) {
      if (!hasLabel(base, label)) ctx.addIssue({ code: "custom", path: ["requiredBase"], message: `must include "${label}"` });
    }
    const architectures = base.filter(isArchitecture);
    if (architectures.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: ["requiredBase"],
        message: `must include at most one architecture label (${architectureLabels.join(", ")}), found ${architectures.join(", ")}`,
      });
    }
    if (uniqueLabels(base).length !== base.length) {
      ctx.addIssue({ code: "custom", path: ["requiredBase"], message: "must not repeat a label" });
    }
    if (fleetLabelsOf(base).length === 0) {
      ctx.addIssue({ code: "custom", path: ["requiredBase"], message: "must include the fleet's own label" });
    }
    // A hosted label that fleet runners also carry would let such jobs land on the fleet.
    const fleetVocabulary = [...base, ...policy.allowed];
    (policy.hostedAllowed ?? []).forEach((label, i) => {
      if (hasLabel(fleetVocabulary, label)) {
        ctx.addIssue({ code: "custom", path: ["hostedAllowed", i], message: `"${label}" is a fleet label` });
      }
    });
  });

export type LabelPolicy = z.output<typeof labelPolicySchema>;

export function parseLabelPolicy(value: unknown, source = "label policy"): LabelPolicy {
  return parseOrThrow(labelPolicySchema, value, source);
}

/** The fleet's own labels: the required base labels that are not generic. */
export function fleetLabelsOf(requiredBase: readonly string[]): string[] {
  return requiredBase.filter((label) => !hasLabel(genericBase, label) && !isArchitecture(label));
}

/** Every label a fleet job may use. */
export function fleetVocabulary(policy: LabelPolicy): string[] {
  return uniqueLabels([...policy.requiredBase, ...policy.allowed]);
}
