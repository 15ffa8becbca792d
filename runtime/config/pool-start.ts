/**
 * How a pool's VMs start (spread into poolSchema):
 * - `restore` (the default): from a snapshot of a guest saved while it waited for its job
 *   (runtime/controller/snapshot-store.ts, restore-start.ts), in about a second instead of a boot;
 *   a VM boots instead while no snapshot is ready or when a restore fails (logged and counted).
 * - `boot`: every VM boots its image.
 */
import { z } from "zod";

export const poolStartShape = {
  /** Absent means `restore`. */
  start: z.enum(["boot", "restore"]).optional(),
};
