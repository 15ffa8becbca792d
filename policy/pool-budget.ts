/**
 * Pools make sense for their host: max at least min, one VM within the host budget, the warm
 * floors fitting together (mandatory); and, advisory, the pools' ceilings fitting together.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { componentTypes } from "../components/resource-types.ts";
import { ofType } from "./stack-resource.ts";
import type { StackResource, Violation } from "./stack-resource.ts";

interface PoolSize {
  name: string;
  min: number;
  max: number;
  vcpus: number;
  memoryMiB: number;
}

function poolsOf(host: StackResource): PoolSize[] {
  return Array.isArray(host.props.poolSizes) ? (host.props.poolSizes as PoolSize[]) : [];
}

function total(pools: PoolSize[], count: (pool: PoolSize) => number) {
  return {
    vcpus: pools.reduce((sum, pool) => sum + count(pool) * pool.vcpus, 0),
    memoryMiB: pools.reduce((sum, pool) => sum + count(pool) * pool.memoryMiB, 0),
  };
}

export function poolBoundViolations(resources: readonly StackResource[]): Violation[] {
  const violations: Violation[] = [];
  for (const host of ofType(resources, componentTypes.host)) {
    const name = String(host.props.name);
    const budget = { vcpus: Number(host.props.vcpus), memoryMiB: Number(host.props.memoryMiB) };
    const pools = poolsOf(host);
    for (const pool of pools) {
      if (pool.max < pool.min) violations.push({ message: `host ${name}, pool ${pool.name}: max ${pool.max} < min ${pool.min}`, urn: host.urn });
      if (pool.vcpus > budget.vcpus || pool.memoryMiB > budget.memoryMiB) {
        violations.push({ message: `host ${name}, pool ${pool.name}: one VM exceeds the host budget`, urn: host.urn });
      }
    }
    const floors = total(pools, (pool) => pool.min);
    if (floors.vcpus > budget.vcpus || floors.memoryMiB > budget.memoryMiB) {
      violations.push({ message: `host ${name}: the pools' warm floors do not fit the host budget`, urn: host.urn });
    }
  }
  return violations;
}

export function poolCeilingViolations(resources: readonly StackResource[]): Violation[] {
  return ofType(resources, componentTypes.host).flatMap((host) => {
    const ceilings = total(poolsOf(host), (pool) => pool.max);
    const fits = ceilings.vcpus <= Number(host.props.vcpus) && ceilings.memoryMiB <= Number(host.props.memoryMiB);
    return fits
      ? []
      : [
          {
            message: `host ${String(host.props.name)}: all pools at max need ${ceilings.vcpus} vCPU / ${ceilings.memoryMiB} MiB, more than the budget; the controller will hold some pools below max`,
            urn: host.urn,
          },
        ];
  });
}

export const poolsFitHost: StackValidationPolicy = {
  name: "pools-fit-host",
  description: "Pool max is at least min, one VM fits the host budget, and the warm floors fit together.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const violation of poolBoundViolations(args.resources)) reportViolation(violation.message, violation.urn);
  },
};

export const poolCeilingsFitHost: StackValidationPolicy = {
  name: "pool-ceilings-fit-host",
  description: "All pools at their max fit the host budget together (otherwise some stay below max).",
  enforcementLevel: "advisory",
  validateStack: (args, reportViolation) => {
    for (const violation of poolCeilingViolations(args.resources)) reportViolation(violation.message, violation.urn);
  },
};
