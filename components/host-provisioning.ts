/**
 * What provisioning a host runs over SSH, as plain data: the Host component wires each step into a
 * `command.remote.Command`, and the systemd-host test runs the same steps over ssh on a real
 * Debian host with systemd as PID 1. Two steps are not here: the controller bundle (a file copy)
 * and the base image (BaseImage).
 */
import { configInstallCommand, configRemoveCommand, renderPackagesScript, renderStorageRemoveScript, renderStorageScript } from "./host-scripts.ts";
import { hostUrls, isLoopback } from "./host-urls.ts";
import { renderNetworkInstallScript, renderNetworkRemoveScript } from "./libvirt-network.ts";
import type { FleetConfig, HostSettings } from "./stack-config.ts";
import { renderRestartScript, renderUnits, renderUnitsInstallScript, renderUnitsRemoveScript } from "./systemd-units.ts";

export interface RemoteStep {
  /** The command run on the host (`bash -s` reads the script from stdin). */
  create: string;
  /** The script; the config step's stdin is the controller config, which the caller supplies. */
  stdin?: string;
  /** Undoes the step on `pulumi destroy`. */
  delete?: string;
}

export interface HostProvisioning {
  packages: RemoteStep;
  storage: RemoteStep;
  network: RemoteStep;
  config: RemoteStep;
  units: RemoteStep;
  restart: RemoteStep;
}

export function hostProvisioning(host: HostSettings, fleet: Pick<FleetConfig, "webhook">): HostProvisioning {
  const urls = hostUrls(host, fleet.webhook?.path ?? "/webhook");
  const network = {
    subnet: host.runnerSubnet,
    hostAddresses: [host.address, host.listenAddress].filter((a) => !isLoopback(a)),
  };
  return {
    packages: { create: "bash -s", stdin: renderPackagesScript(host.arch) },
    storage: { create: "bash -s", stdin: renderStorageScript(), delete: renderStorageRemoveScript() },
    network: { create: "bash -s", stdin: renderNetworkInstallScript(network), delete: renderNetworkRemoveScript() },
    config: { create: configInstallCommand, delete: configRemoveCommand },
    units: {
      create: "bash -s",
      stdin: renderUnitsInstallScript(renderUnits({ listenPort: host.listenPort })),
      delete: renderUnitsRemoveScript(),
    },
    restart: { create: "bash -s", stdin: renderRestartScript(urls.localHealthUrl) },
  };
}

/** The order a first `pulumi up` runs the steps in (the Host component's dependencies). */
export const provisioningOrder = ["packages", "storage", "network", "bundle", "config", "units", "restart"] as const;
