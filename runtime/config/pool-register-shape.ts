/**
 * When a pool's VMs get their runner registration (`docs/controller.md`, "JIT on claim"). Its own
 * module, spread into `poolSchema`.
 */
import { z } from "zod";

export const poolRegisterShape = {
  /**
   * `ahead` (the default): each VM is registered (JIT config through fw_cfg) before it boots, and
   * takes whatever job GitHub gives it. `on-claim`: VMs boot unregistered and wait on the job
   * channel; the controller checks a queued job's trust, requests a JIT config for exactly that
   * job's labels, and hands it to a waiting VM of the same shape.
   */
  register: z.enum(["ahead", "on-claim"]).optional(),
};

export function registersOnClaim(pool: { register?: "ahead" | "on-claim" }): boolean {
  return pool.register === "on-claim";
}
