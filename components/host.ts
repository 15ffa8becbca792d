/**
 * One hypervisor host: OS packages, the runner network, the base image, the controller bundle,
 * its config file and its systemd units. Everything goes over SSH with `command.remote`; scripts
 * travel on stdin, and the config (the host's only copy of the secrets) as a Pulumi secret.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { hostLayout } from "../runtime/controller/endpoints.ts";
import { BaseImage } from "./base-image.ts";
import type { ControllerBundle } from "./controller-bundle.ts";
import { renderControllerConfig, serializeControllerConfig } from "./controller-config-file.ts";
import { hostProvisioning } from "./host-provisioning.ts";
import { hostUrls } from "./host-urls.ts";
import { imageRecipe } from "./image-recipe.ts";
import { poolLabels } from "./labels.ts";
import { componentTypes } from "./resource-types.ts";
import type { SecretValue } from "./secret-value.ts";
import type { FleetConfig, HostSettings } from "./stack-config.ts";

export interface HostArgs {
  host: HostSettings;
  fleet: FleetConfig;
  runnerGroupId: pulumi.Input<number>;
  bundle: ControllerBundle;
  adminToken: SecretValue;
}

/** What dashboards get per host. */
export interface HostSummary {
  name: string;
  address: string;
  arch: string;
  pools: { name: string; labels: string[]; min: number; max: number }[];
  statusUrl: string;
  metricsUrl: string;
}

export function hostSummary(host: HostSettings, fleet: Pick<FleetConfig, "fleetLabel" | "webhook">): HostSummary {
  const urls = hostUrls(host, fleet.webhook?.path ?? "/webhook");
  return {
    name: host.name,
    address: host.address,
    arch: host.arch,
    pools: host.pools.map((pool) => ({
      name: pool.name,
      labels: poolLabels(pool, host.arch, fleet.fleetLabel),
      min: pool.min,
      max: pool.max,
    })),
    statusUrl: urls.statusUrl,
    metricsUrl: urls.metricsUrl,
  };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export class Host extends pulumi.ComponentResource {
  readonly summary: HostSummary;
  readonly baseImage: BaseImage;

  constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
    super(componentTypes.host, name, {}, opts);
    const { host, fleet } = args;
    const connection: command.types.input.remote.ConnectionArgs = {
      host: host.address,
      port: host.sshPort,
      user: host.sshUser,
      privateKey: pulumi.secret(host.sshPrivateKey.reveal()),
      ...(host.sshHostKey !== undefined ? { hostKey: host.sshHostKey } : {}),
    };
    const child = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({ parent: this, dependsOn });

    const steps = hostProvisioning(host, fleet);
    const packages = new command.remote.Command(
      `${name}-packages`,
      { connection, ...steps.packages, triggers: [sha256(steps.packages.stdin!)] },
      child(),
    );
    const storage = new command.remote.Command(`${name}-storage`, { connection, ...steps.storage }, child([packages]));
    const network = new command.remote.Command(`${name}-network`, { connection, ...steps.network }, child([storage]));

    this.baseImage = new BaseImage(
      `${name}-image`,
      { connection, recipe: imageRecipe(fleet.image, host.arch) },
      { parent: this, dependsOn: [storage] },
    );

    const bundle = new command.remote.CopyToRemote(
      `${name}-bundle`,
      {
        connection,
        source: new pulumi.asset.FileAsset(args.bundle.path),
        remotePath: hostLayout.bundle,
        triggers: [args.bundle.sha256],
      },
      child([storage]),
    );

    // Rendered once the runner group id is known; the content is secret from end to end.
    const configJson = pulumi.output(args.runnerGroupId).apply((runnerGroupId) =>
      serializeControllerConfig(
        renderControllerConfig({
          host,
          fleet,
          runnerGroupId,
          adminToken: args.adminToken,
          baseImageFile: this.baseImage.fileName,
        }),
      ),
    );
    const secretConfig = pulumi.secret(configJson);
    const config = new command.remote.Command(
      `${name}-config`,
      {
        connection,
        ...steps.config,
        stdin: secretConfig,
        // Nothing it prints could matter, and nothing must ever echo the file.
        logging: "none",
      },
      { ...child([storage]), additionalSecretOutputs: ["stdin", "stdout", "stderr"] },
    );

    const unitsCommand = new command.remote.Command(`${name}-units`, { connection, ...steps.units }, child([packages, bundle]));
    new command.remote.Command(
      `${name}-restart`,
      {
        connection,
        ...steps.restart,
        // Restart when the code, the config or the units change; the config's hash stays secret.
        triggers: [args.bundle.sha256, pulumi.secret(secretConfig.apply(sha256)), sha256(steps.units.stdin!)],
      },
      child([bundle, config, unitsCommand, network, this.baseImage]),
    );

    this.summary = hostSummary(host, fleet);
    this.registerOutputs({
      ...this.summary,
      listenAddress: host.listenAddress,
      listenPort: host.listenPort,
      vcpus: host.vcpus,
      memoryMiB: host.memoryMiB,
      webhookSecretConfigured: fleet.webhook !== undefined,
      webhookUrl: hostUrls(host, fleet.webhook?.path ?? "/webhook").webhookUrl ?? null,
      sshHostKeyPinned: host.sshHostKey !== undefined,
      poolSizes: host.pools.map((pool) => ({
        name: pool.name,
        min: pool.min,
        max: pool.max,
        vcpus: pool.vcpus,
        memoryMiB: pool.memoryMiB,
      })),
    });
  }
}
