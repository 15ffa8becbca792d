/** The libvirt domain for one runner VM, from the pool and host config. */
import type { ControllerConfig, PoolConfig } from "../config/controller-config.ts";
import type { DomainSpec } from "../ports/hypervisor.ts";
import type { VmPaths } from "./naming.ts";
import { jitConfigFwCfgName } from "../protocol/fw-cfg.ts";
import { registersOnClaim } from "../config/pool-register-shape.ts";
import { guestNetworkCmdlineArg, guestNetworkConfig } from "../protocol/guest-network.ts";

/** `address`: the VM's static address (address-allocator.ts), on its kernel command line and in its filter. */
export function domainSpecFor(config: ControllerConfig, pool: PoolConfig, name: string, paths: VmPaths, now: number, address?: string): DomainSpec {
  const { network, filter, subnet } = config.network;
  const boot = config.image.boot;
  const staticNet = address !== undefined && subnet !== undefined && boot.kind === "kernel" ? guestNetworkConfig(subnet, address) : undefined;
  return {
    name,
    vcpus: pool.vcpus,
    memoryMiB: pool.memoryMiB,
    disk: paths.overlay,
    boot: staticNet && boot.kind === "kernel" ? { ...boot, cmdline: `${boot.cmdline} ${guestNetworkCmdlineArg(staticNet)}` } : boot,
    // Registered ahead: the JIT config through fw_cfg. On claim: none at boot; it comes later, over the job channel.
    fwCfg: registersOnClaim(pool) ? [] : [{ name: jitConfigFwCfgName, file: paths.secret }],
    network: { kind: "libvirt-network", network, ...(filter !== undefined && { filter }), ...(staticNet && { ip: staticNet.address }) },
    serialLog: paths.serialLog,
    metadata: { pool: pool.name, createdAt: new Date(now).toISOString() },
    ...(registersOnClaim(pool) ? { jobChannel: paths.channel } : {}),
  };
}
