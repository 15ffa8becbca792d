/**
 * The controller's config file (/etc/runner-fleet/controller.json), rendered from stack config.
 *
 * Validated here with the controller's own parser, so a host config the controller would refuse
 * fails when the Pulumi program starts instead of when the service restarts on the host. The
 * result holds the GitHub credential, webhook secret and admin token: callers keep it secret.
 */
import type { ControllerConfigInput } from "../runtime/config/controller-config.ts";
import { parseControllerConfig } from "../runtime/config/controller-config.ts";
import { hostLayout } from "../runtime/controller/endpoints.ts";
import { poolLabels } from "./labels.ts";
import { runnerNetwork } from "./libvirt-network.ts";
import type { FleetConfig, HostSettings } from "./stack-config.ts";
import { SecretValue } from "./secret-value.ts";
import { ConfigError } from "../runtime/config/config-error.ts";
import { imageFileName, imageRecipe } from "./image-recipe.ts";
import { coordinatorUrl } from "./coordination-config.ts";

export interface ControllerConfigParams {
  host: HostSettings;
  fleet: Pick<FleetConfig, "github" | "webhook" | "namePrefix" | "fleetLabel">;
  runnerGroupId: number;
  adminToken: SecretValue;
  /** File name of the host's base image inside hostLayout.imageDir. */
  baseImageFile: string;
  /** PostgreSQL the hosts coordinate through (docs/coordination.md); absent: the host runs alone. */
  coordinationUrl?: SecretValue;
}

export function renderControllerConfig(params: ControllerConfigParams): ControllerConfigInput {
  const { host, fleet } = params;
  const [owner, repo] = fleet.github.repositories[0]!.split("/") as [string, string];
  const auth: ControllerConfigInput["github"]["auth"] =
    fleet.github.auth.kind === "app"
      ? {
          kind: "app",
          appId: fleet.github.auth.appId,
          installationId: fleet.github.auth.installationId,
          privateKey: fleet.github.auth.privateKey.reveal(),
        }
      : { kind: "token", token: fleet.github.auth.token.reveal() };
  const config: ControllerConfigInput = {
    host: { name: host.name, vcpus: host.vcpus, memoryMiB: host.memoryMiB },
    namePrefix: fleet.namePrefix,
    github: {
      apiUrl: fleet.github.apiUrl,
      scope: fleet.github.scope === "org" ? { kind: "org", org: fleet.github.owner } : { kind: "repo", owner, repo },
      repositories: fleet.github.repositories,
      runnerGroupId: params.runnerGroupId,
      auth,
    },
    listen: { host: host.listenAddress, port: host.listenPort },
    ...(fleet.webhook ? { webhook: { secret: fleet.webhook.secret.reveal(), path: fleet.webhook.path } } : {}),
    adminToken: params.adminToken.reveal(),
    pools: host.pools.map((pool) => ({ ...pool, labels: poolLabels(pool, host.arch, fleet.fleetLabel) })),
    image: { base: `${hostLayout.imageDir}/${params.baseImageFile}`, boot: { kind: "disk" } },
    network: { kind: "libvirt-network", network: runnerNetwork.network, filter: runnerNetwork.filter },
    hypervisor: { driver: "libvirt", uri: "qemu:///system", domainType: "kvm" },
    paths: { state: hostLayout.stateDir },
    ...(params.coordinationUrl ? { coordination: { postgres: { url: params.coordinationUrl.reveal() } } } : {}),
  };
  parseControllerConfig(config, `controller config for host "${host.name}"`);
  return config;
}

/** The file's content: stable key order, so an unchanged config is byte-identical. */
export function serializeControllerConfig(config: ControllerConfigInput): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The URL the hosts will get (a coordinator's is only known with its password; the shape is the same). */
function coordinationStandIn(config: FleetConfig): Pick<ControllerConfigParams, "coordinationUrl"> {
  const coordination = config.coordination;
  if (coordination === undefined) return {};
  if (coordination.kind === "postgres-url") return { coordinationUrl: coordination.url };
  return { coordinationUrl: new SecretValue(coordinatorUrl(coordination.coordinator, "a-stand-in-password")) };
}

/**
 * Renders every host's controller config with a stand-in runner group id (the real one is only
 * known after the group exists) and returns what the controller's parser refuses, per host.
 */
export function checkControllerConfigs(config: FleetConfig, namespace = "runner-fleet"): string[] {
  const problems: string[] = [];
  config.hosts.forEach((host, i) => {
    try {
      renderControllerConfig({
        host,
        fleet: config,
        runnerGroupId: 1,
        adminToken: config.adminToken ?? new SecretValue("a-stand-in-admin-token"),
        baseImageFile: imageFileName(imageRecipe(config.image, host.arch)),
        ...coordinationStandIn(config),
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems.map((problem) => `${namespace}:hosts[${i}] (controller config): ${problem}`));
    }
  });
  return problems;
}
