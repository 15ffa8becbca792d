/**
 * The controller's config file: the one place on a host where secrets live (mode 0600).
 *
 * The stack renders it (components/host) and the controller validates it at start, both with
 * this schema, so the two can never disagree about its shape.
 */
import { z } from "zod";
import { parseOrThrow } from "./config-error.ts";
import { guardConfigSchema } from "../guard/guard-config.ts";
import { coordinationConfigSchema } from "./coordination-config.ts";
import { poolSizingShape } from "./pool-sizing-shape.ts";
import { hostShapeFields, poolShapeFields, refinePoolShapes } from "./pool-shape.ts";
import { poolRegisterShape } from "./pool-register-shape.ts";
import { parseSubnet } from "../protocol/guest-network.ts";
import { poolCachesShape } from "../caches/cache-shape.ts";
import { routingPolicySchema } from "../routing/policy.ts";
import { poolStartShape } from "./pool-start.ts";

/** GitHub label rules that matter to us: 1-100 chars, no spaces or commas. */
export const labelSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\s,]+$/, "labels cannot contain spaces or commas");

/** Names become parts of domain, runner and file names: keep them to DNS-label characters. */
export const nameSchema = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/, "use 1-32 lowercase letters, digits and inner hyphens");

export const repositorySchema = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "expected owner/name");

const absolutePath = z.string().regex(/^\//, "must be an absolute path");

export const poolSchema = z
  .object({
    name: nameSchema,
    labels: z.array(labelSchema).min(1).max(100),
    /** Warm floor: booted, registered, idle runners kept ready. */
    min: z.number().int().min(0),
    /** Ceiling on this pool's VMs (busy + idle + booting). */
    max: z.number().int().min(1),
    /** Desired idle runners; clamped to [min, max]. Defaults to min. */
    target: z.number().int().min(0).optional(),
    vcpus: z.number().int().min(1).max(64),
    memoryMiB: z.number().int().min(128),
    ...poolSizingShape,
    ...poolShapeFields,
    ...poolRegisterShape,
    ...poolCachesShape,
    ...poolStartShape,
  })
  .strict()
  .refine((p) => p.min <= p.max, { message: "min must not exceed max", path: ["min"] });

export type PoolConfig = z.output<typeof poolSchema>;

const githubAuthSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("app"),
      appId: z.number().int().positive(),
      installationId: z.number().int().positive(),
      privateKey: z.string().includes("PRIVATE KEY", { message: "expected a PEM private key" }),
    })
    .strict(),
  /** Break-glass fallback only: a fine-grained PAT. */
  z.object({ kind: z.literal("token"), token: z.string().min(20) }).strict(),
]);

const scopeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("org"), org: z.string().min(1) }).strict(),
  z.object({ kind: z.literal("repo"), owner: z.string().min(1), repo: z.string().min(1) }).strict(),
]);

function validSubnet(subnet: string): boolean {
  try {
    return parseSubnet(subnet) !== undefined;
  } catch {
    return false;
  }
}

const bootSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("kernel"), kernel: absolutePath, initrd: absolutePath, cmdline: z.string() }).strict(),
  z.object({ kind: z.literal("disk") }).strict(),
]);

const networkSchema = z
  .object({
    kind: z.literal("libvirt-network"),
    network: z.string().min(1),
    filter: z.string().min(1).optional(),
    /** The network's IPv4 subnet: with it, kernel-boot guests get a static address (address-allocator.ts). */
    subnet: z.string().refine(validSubnet, "expected an IPv4 CIDR from /8 to /29, e.g. 10.213.0.0/24").optional(),
  })
  .strict();

export const controllerConfigSchema = z
  .object({
    host: z
      .object({
        name: nameSchema,
        /** Budget for all runner VMs on this host together. */
        vcpus: z.number().int().min(1),
        memoryMiB: z.number().int().min(256),
        ...hostShapeFields,
      })
      .strict(),
    /** First part of every domain, runner, overlay and secret name this controller owns. */
    namePrefix: nameSchema.default("rf"),
    github: z
      .object({
        apiUrl: z.url().default("https://api.github.com"),
        scope: scopeSchema,
        /** Repositories whose queued jobs this host serves. */
        repositories: z.array(repositorySchema).min(1),
        runnerGroupId: z.number().int().positive(),
        auth: githubAuthSchema,
      })
      .strict(),
    listen: z
      .object({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8080),
      })
      .strict()
      .default({ host: "127.0.0.1", port: 8080 }),
    /** Optional: without it the controller relies on polling alone. */
    webhook: z
      .object({ secret: z.string().min(16), path: z.string().regex(/^\//).default("/webhook") })
      .strict()
      .optional(),
    /** Bearer token for mutating endpoints (drain, resume). Without it they are disabled. */
    adminToken: z.string().min(16).optional(),
    pools: z
      .array(poolSchema)
      .min(1)
      .refine((pools) => new Set(pools.map((p) => p.name)).size === pools.length, "pool names must be unique"),
    image: z.object({ base: absolutePath, boot: bootSchema }).strict(),
    network: networkSchema,
    hypervisor: z
      .object({
        /** `memory` simulates VMs in-process (guests run the agent in-process): for the lab and tests only. */
        driver: z.enum(["libvirt", "memory"]).default("libvirt"),
        /** libvirt connection URI. */
        uri: z.string().min(1).default("qemu:///system"),
        /** `kvm` on real hosts; `qemu` (TCG) where /dev/kvm is unusable, as on the lab machines. */
        domainType: z.enum(["kvm", "qemu"]).default("kvm"),
      })
      .strict()
      .default({ driver: "libvirt", uri: "qemu:///system", domainType: "kvm" }),
    paths: z
      .object({
        state: absolutePath.default("/var/lib/runner-fleet"),
        status: absolutePath.optional(),
        inventory: absolutePath.optional(),
      })
      .strict()
      .default({ state: "/var/lib/runner-fleet" }),
    timing: z
      .object({
        reconcileSeconds: z.number().positive().default(15),
        /** How often queued jobs are re-read from GitHub (the safety net for dropped webhooks). */
        jobPollSeconds: z.number().positive().default(60),
        bootTimeoutSeconds: z.number().positive().default(180),
        jobTimeoutMinutes: z.number().positive().default(360),
        drainGraceSeconds: z.number().nonnegative().default(900),
      })
      .strict()
      .default({
        reconcileSeconds: 15,
        jobPollSeconds: 60,
        bootTimeoutSeconds: 180,
        jobTimeoutMinutes: 360,
        drainGraceSeconds: 900,
      }),
    /** The trust check's opt-ins (`pushToDefaultBranch`, `mergeGroup`): the routing policy's (docs/routing.md). */
    trust: routingPolicySchema.optional(),
    /** Optional: the routing guard (runtime/guard, docs/operations.md). */
    guard: guardConfigSchema.optional(),
    /** Optional: several hosts coordinated through PostgreSQL (docs/coordination.md). Without it a host runs alone. */
    coordination: coordinationConfigSchema.optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    config.pools.forEach((pool, i) => {
      if (pool.vcpus > config.host.vcpus || pool.memoryMiB > config.host.memoryMiB) {
        ctx.addIssue({
          code: "custom",
          path: ["pools", i],
          message: `one VM (${pool.vcpus} vCPU, ${pool.memoryMiB} MiB) exceeds the host budget`,
        });
      }
    });
    refinePoolShapes(config, ctx);
  });

export type ControllerConfig = z.output<typeof controllerConfigSchema>;
/** What the stack writes: defaults may be left out. */
export type ControllerConfigInput = z.input<typeof controllerConfigSchema>;

export function parseControllerConfig(value: unknown, source = "controller config"): ControllerConfig {
  return parseOrThrow(controllerConfigSchema, value, source);
}

/** Desired idle runners for a pool: `target` clamped to [min, max], defaulting to min. */
export function poolTarget(pool: PoolConfig): number {
  return Math.min(pool.max, Math.max(pool.min, pool.target ?? pool.min));
}
