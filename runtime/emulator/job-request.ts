/**
 * What a test or an operator enqueues: a job as a workflow would define it (repository, labels,
 * shell steps) plus the event that triggered it (for the controller's trust check).
 * Body of `POST /_emulator/jobs`; also the argument of `Emulator.enqueueJob`.
 */
import { z } from "zod";
import { describeIssues } from "../config/config-error.ts";

const login = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/, "expected a GitHub login");
const fullName = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "expected owner/name");

export const enqueueJobSchema = z
  .object({
    repository: fullName,
    labels: z.array(z.string().min(1).max(100)).min(1).max(100),
    jobName: z.string().min(1).optional(),
    workflowName: z.string().min(1).optional(),
    steps: z.array(z.object({ name: z.string().min(1), run: z.string() }).strict()).min(1),
    event: z
      .object({
        name: z.string().min(1),
        sender: z.object({ login, type: z.enum(["User", "Bot", "Organization"]).default("User") }).strict().optional(),
        pullRequest: z
          .object({
            number: z.number().int().positive(),
            /** null: the head repository was deleted. Defaults to the repository itself. */
            headRepository: fullName.nullable().optional(),
            authorAssociation: z
              .enum(["COLLABORATOR", "CONTRIBUTOR", "FIRST_TIMER", "FIRST_TIME_CONTRIBUTOR", "MANNEQUIN", "MEMBER", "NONE", "OWNER"])
              .default("MEMBER"),
          })
          .strict()
          .optional(),
        headBranch: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    timeoutMinutes: z.number().positive().max(4320).optional(),
    /** Add the job to this run instead of a new one (a matrix's jobs share one run); its event applies. */
    runId: z.number().int().positive().optional(),
    /** Start in `waiting` (an environment awaiting approval); `POST /_emulator/jobs/{id}/approve` queues it. */
    waiting: z.boolean().optional(),
  })
  .strict();

export type EnqueueJobRequest = z.input<typeof enqueueJobSchema>;
export type EnqueueJob = z.output<typeof enqueueJobSchema>;

export function parseEnqueueJob(value: unknown): EnqueueJob | { error: string } {
  const result = enqueueJobSchema.safeParse(value);
  if (!result.success) return { error: describeIssues(result.error.issues).join("; ") };
  return result.data;
}
