/**
 * The two hardware steps of provisioning: taking pinned cores for a new VM (before its record is
 * first written, so the record holds them) and checking its PCI devices again right before the
 * domain is defined: a driver may have been rebound since the controller started.
 */
import type { PoolConfig } from "../config/controller-config.ts";
import type { ControllerContext } from "./context.ts";
import { deviceProblems } from "./pool-admission.ts";
import { placeVm, takenCores, type Placement } from "./vm-shape.ts";

export async function placementFor(ctx: ControllerContext, pool: PoolConfig): Promise<{ placement?: Placement }> {
  if (!pool.cpuPinning) return {};
  const placement = placeVm(pool, takenCores(await ctx.records.list()), ctx.hardware?.facts.numaNodes ?? []);
  // The budget counts the pool's VMs against its cores, so this means records and budget disagree.
  if (!placement) throw new Error(`pool "${pool.name}": no ${pool.vcpus} free pinned cores for another VM`);
  return { placement };
}

export async function assertDevicesReady(ctx: ControllerContext, pool: PoolConfig): Promise<void> {
  if (!pool.devices || !ctx.hardware) return;
  const problems = deviceProblems(pool.devices, await ctx.hardware.source.read());
  if (problems.length > 0) throw new Error(`pool "${pool.name}": PCI passthrough not ready: ${problems.join("; ")}`);
}
