/**
 * Pure decisions about cache generations (docs/caches.md): their file names, which one a
 * finished VM's writable copy becomes (or why it is thrown away), and which old ones to evict.
 */

/**
 * `gen-000042.qcow2`: ids grow, so names sort by age. Generation 0 is the empty filesystem a
 * cache starts with; every later one was published by a job.
 */
export function generationFile(id: number): string {
  return `gen-${String(id).padStart(6, "0")}.qcow2`;
}

export function generationIdOf(file: string): number | undefined {
  const match = /^gen-(\d{6,})\.qcow2$/.exec(file);
  return match ? Number(match[1]) : undefined;
}

/** What a VM that ran a job did with one cache, decided when its domain is gone. */
export type PublishDecision =
  | { promote: true }
  | { promote: false; reason: "read-only" | "job-not-successful" | "no-job" };

export interface PublishFacts {
  /** GitHub's record of the run says it may publish (`mayPublishCaches`); undefined: unknown. */
  publisher: boolean | undefined;
  /** The job's conclusion, when the VM ended because its job completed (else undefined). */
  conclusion: string | undefined;
}

/** Fails closed: anything unknown throws the writable copy away. The size cap is checked after flattening (`overCap`). */
export function publishDecision(facts: PublishFacts): PublishDecision {
  if (facts.conclusion === undefined) return { promote: false, reason: "no-job" };
  if (facts.publisher !== true) return { promote: false, reason: "read-only" };
  if (facts.conclusion !== "success") return { promote: false, reason: "job-not-successful" };
  return { promote: true };
}

/**
 * A flattened generation over its cache's size is refused. The filesystem inside cannot outgrow
 * `sizeMiB`, but qcow2's own tables come on top: 5 % and 1 MiB of slack for those.
 */
export function overCap(bytes: number, sizeMiB: number): boolean {
  return bytes > sizeMiB * 1024 * 1024 * 1.05 + 1024 * 1024;
}

/**
 * Generations to delete: all but the `keep` newest besides the current one, never the current
 * one and never one a live VM's disks still use (a writable copy is backed by its generation).
 */
export function generationsToEvict(ids: readonly number[], current: number | undefined, inUse: ReadonlySet<number>, keep: number): number[] {
  const older = [...ids].filter((id) => id !== current).sort((a, b) => b - a);
  return older.slice(keep).filter((id) => !inUse.has(id));
}

/** Next id: one past the largest ever seen (the current one included), so a name is never reused. */
export function nextGenerationId(ids: readonly number[], current: number | undefined): number {
  return Math.max(0, current ?? 0, ...ids) + 1;
}
