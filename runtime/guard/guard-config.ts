/**
 * The `guard` section of the controller config: whether this host runs the guard loop, which
 * other controllers it watches, its thresholds and the auto-restore hysteresis. Every key has
 * the default, so `{ "enabled": true }` is a complete guard config.
 */
import { z } from "zod";
import { routingPolicySchema } from "../routing/policy.ts";

const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http(s) URL" });

export const guardConfigSchema = z
  .object({
    /** Run the guard loop inside this controller (one designated host per fleet). */
    enabled: z.boolean().default(false),
    intervalSeconds: z.number().positive().default(60),
    /** Base URLs of the other hosts' controllers (this host's own status is read in-process). */
    controllers: z.array(httpUrl).default([]),
    /** Repositories whose routing variable the guard manages; default: github.repositories. */
    repositories: z.array(z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "expected owner/name")).min(1).optional(),
    /** The routing policy the workflows' routing Action uses (for recomputing decisions). */
    policy: routingPolicySchema.optional(),
    /**
     * Workflows (name, or path such as `.github/workflows/ci.yml`) that route their jobs. Only
     * their runs can be "trusted but ran hosted". Default: workflows seen running on the fleet.
     */
    routedWorkflows: z.array(z.string().min(1)).optional(),
    /** Latest workflow runs per repository that the mismatch check reads (bounded API use). */
    recentRuns: z.number().int().min(1).max(100).default(30),
    thresholds: z
      .object({
        consecutiveBootFailures: z.number().int().min(1).default(2),
        queueWaitSeconds: z.number().positive().default(120),
        queueWaitJobs: z.number().int().min(1).default(10),
        offlineMinutes: z.number().positive().default(10),
      })
      .strict()
      .default({ consecutiveBootFailures: 2, queueWaitSeconds: 120, queueWaitJobs: 10, offlineMinutes: 10 }),
    autoRestore: z
      .object({
        enabled: z.boolean().default(false),
        /** No trigger for this long after a guard rollback before routing is turned back on. */
        healthyMinutes: z.number().positive().default(60),
        /** A trigger within this long after a restore rolls back for good (until `fleet restore`). */
        windowMinutes: z.number().positive().default(1440),
      })
      .strict()
      .default({ enabled: false, healthyMinutes: 60, windowMinutes: 1440 }),
  })
  .strict();

export type GuardConfig = z.output<typeof guardConfigSchema>;

/** The guard settings of a config without a `guard` section: defaults, loop off. */
export const defaultGuardConfig: GuardConfig = guardConfigSchema.parse({});
