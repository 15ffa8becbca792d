/**
 * Runner labels as GitHub matches them: case-insensitively, and a runner can take a job when
 * the job's labels are a subset of the runner's.
 */
import { z } from "zod";

/**
 * GitHub's label rules that matter to us: 1-100 characters, no spaces or commas. The same
 * rule as `labelSchema` in runtime/config/controller-config.ts (a test keeps them equal);
 * repeated here so the routing Action's bundle does not carry the controller's config schema.
 */
export const labelSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\s,]+$/, "labels cannot contain spaces or commas");

export function normalizeLabel(label: string): string {
  return label.toLowerCase();
}

export function hasLabel(labels: readonly string[], label: string): boolean {
  const wanted = normalizeLabel(label);
  return labels.some((l) => normalizeLabel(l) === wanted);
}

/** The labels of `required` that `labels` lacks, in `required`'s order. */
export function missingLabels(required: readonly string[], labels: readonly string[]): string[] {
  return required.filter((label) => !hasLabel(labels, label));
}

/** True when a runner labelled `runner` can take a job asking for `job`. */
export function canServe(runner: readonly string[], job: readonly string[]): boolean {
  return missingLabels(job, runner).length === 0;
}

/** Labels without case-insensitive repeats, keeping the first spelling. */
export function uniqueLabels(labels: Iterable<string>): string[] {
  const seen = new Map<string, string>();
  for (const label of labels) if (!seen.has(normalizeLabel(label))) seen.set(normalizeLabel(label), label);
  return [...seen.values()];
}
