/** The libvirt domain for one runner VM, from the pool and host config. */
import type { ControllerConfig, PoolConfig } from "../config/controller-config.ts";
import type { DomainSpec } from "../ports/hypervisor.ts";
import type { VmPaths } from "./naming.ts";
import { jitConfigFwCfgName } from "../protocol/fw-cfg.ts";


export function domainSpecFor(config: ControllerConfig, pool: PoolConfig, name: string, paths: VmPaths, now: number): DomainSpec {
  return {
    name,
    vcpus: pool.vcpus,
    memoryMiB: pool.memoryMiB,
    disk: paths.overlay,
    boot: config.image.boot,
    fwCfg: [{ name: jitConfigFwCfgName, file: paths.secret }],
    network: config.network,
    serialLog: paths.serialLog,
    metadata: { pool: pool.name, createdAt: new Date(now).toISOString() },
  };
}
