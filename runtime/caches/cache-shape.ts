/**
 * The pool setting `caches` (docs/caches.md): named dependency caches that live on the host and
 * reach every VM of the pool read-only, mounted at `path` in the guest. Spread into poolSchema.
 */
import { z } from "zod";
import { cacheNamePattern } from "../protocol/guest-caches.ts";

/** A guest path: absolute, normalised, no blanks (it travels in a space-separated fw_cfg line). */
const guestPath = z
  .string()
  .regex(/^(\/[A-Za-z0-9._@+-]+)+$/, "must be an absolute guest path of letters, digits and ._@+- (no blanks, no trailing slash)")
  .refine((p) => !p.split("/").some((part) => part === "." || part === ".."), "must not contain . or .. parts");

export const cacheSchema = z
  .object({
    name: z.string().regex(cacheNamePattern, "use 1-15 lowercase letters, digits and inner hyphens"),
    path: guestPath,
    /** Size of the cache's filesystem, and the cap on a generation's size on the host. */
    sizeMiB: z.number().int().min(16).max(1_048_576),
    /** Generations kept on the host besides the current one and those running VMs use. */
    keep: z.number().int().min(0).max(100).default(2),
  })
  .strict();

export type CacheConfig = z.output<typeof cacheSchema>;

export const poolCachesShape = {
  caches: z
    .array(cacheSchema)
    .max(8)
    .refine((caches) => new Set(caches.map((c) => c.name)).size === caches.length, "cache names must be unique")
    .refine((caches) => noNestedPaths(caches.map((c) => c.path)), "cache paths must not be equal or inside one another")
    .optional(),
};

function noNestedPaths(paths: string[]): boolean {
  return paths.every((a, i) => paths.every((b, j) => i === j || (a !== b && !b.startsWith(`${a}/`))));
}
