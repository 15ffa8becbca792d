/** The libvirt domain for one runner VM, from the pool and host config. */
import type { ControllerConfig, PoolConfig } from "../config/controller-config.ts";
import type { DomainSpec } from "../ports/hypervisor.ts";
import type { VmPaths } from "./naming.ts";
import { jitConfigFwCfgName } from "../protocol/fw-cfg.ts";
import { registersOnClaim } from "../config/pool-register-shape.ts";

export function domainSpecFor(config: ControllerConfig, pool: PoolConfig, name: string, paths: VmPaths, now: number): DomainSpec {
  return {
    name,
    vcpus: pool.vcpus,
    memoryMiB: pool.memoryMiB,
    disk: paths.overlay,
    boot: config.image.boot,
    // Registered ahead: the JIT config through fw_cfg. On claim: none at boot; it comes later, over the job channel.
    fwCfg: registersOnClaim(pool) ? [] : [{ name: jitConfigFwCfgName, file: paths.secret }],
    network: config.network,
    serialLog: paths.serialLog,
    metadata: { pool: pool.name, createdAt: new Date(now).toISOString() },
    ...(registersOnClaim(pool) ? { jobChannel: paths.channel } : {}),
  };
}
