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
import { hostFactsFromStatus, renderFactsCommand, type HostFactsOutput } from "./host-facts.ts";
import { imageRecipe } from "./image-recipe.ts";
import { poolLabels } from "./labels.ts";
import { clientRootCertRemove, renderClientRootCertScript } from "./coordinator-scripts.ts";
import { componentTypes } from "./resource-types.ts";
import { SecretValue } from "./secret-value.ts";
import type { FleetConfig, HostSettings } from "./stack-config.ts";

export interface HostArgs {
  host: HostSettings;
  fleet: FleetConfig;
  runnerGroupId: pulumi.Input<number>;
  bundle: ControllerBundle;
  adminToken: SecretValue;
  /** PostgreSQL the controllers coordinate through: its URL (secret), and the certificate to verify it with. */
  coordination?: HostCoordination;
}

export interface HostCoordination {
  url: pulumi.Output<string>;
  rootCertificate?: pulumi.Output<string>;
  /** Created once the database accepts the fleet's role. */
  ready?: pulumi.Resource;
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

/** SSH to a host, as every step on it connects (the Coordinator's too). */
export function sshConnection(host: HostSettings): command.types.input.remote.ConnectionArgs {
  return {
    host: host.address,
    port: host.sshPort,
    user: host.sshUser,
    privateKey: pulumi.secret(host.sshPrivateKey.reveal()),
    ...(host.sshHostKey !== undefined ? { hostKey: host.sshHostKey } : {}),
  };
}

export class Host extends pulumi.ComponentResource {
  readonly summary: HostSummary;
  readonly baseImage: BaseImage;
  /** The host's hardware and refused pools, read from the controller's /status after each restart. */
  readonly hostFacts: pulumi.Output<HostFactsOutput | null>;

  constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
    super(componentTypes.host, name, {}, opts);
    const { host, fleet } = args;
    const connection = sshConnection(host);
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
    const coordination = args.coordination;
    const configJson = pulumi.all([args.runnerGroupId, coordination?.url]).apply(([runnerGroupId, coordinationUrl]) =>
      serializeControllerConfig(
        renderControllerConfig({
          host,
          fleet,
          runnerGroupId,
          adminToken: args.adminToken,
          baseImageFile: this.baseImage.fileName,
          ...(coordinationUrl !== undefined ? { coordinationUrl: new SecretValue(coordinationUrl) } : {}),
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

    // The certificate the controller verifies the coordinator with (public; sslrootcert in the URL).
    const rootCertificate = coordination?.rootCertificate;
    const coordinatorCa = rootCertificate
      ? [
          new command.remote.Command(
            `${name}-coordinator-ca`,
            { connection, create: "bash -s", stdin: rootCertificate.apply(renderClientRootCertScript), delete: clientRootCertRemove },
            child([storage]),
          ),
        ]
      : [];
    const unitsCommand = new command.remote.Command(`${name}-units`, { connection, ...steps.units }, child([packages, bundle]));
    // Restart when the code, the config or the units change; the config's hash stays secret.
    const restartTriggers = [args.bundle.sha256, pulumi.secret(secretConfig.apply(sha256)), sha256(steps.units.stdin!)];
    const restart = new command.remote.Command(
      `${name}-restart`,
      { connection, ...steps.restart, triggers: restartTriggers },
      child([bundle, config, unitsCommand, network, this.baseImage, ...coordinatorCa, ...(coordination?.ready ? [coordination.ready] : [])]),
    );
    const facts = new command.remote.Command(
      `${name}-facts`,
      { connection, create: renderFactsCommand(hostUrls(host, fleet.webhook?.path ?? "/webhook").localHealthUrl), triggers: restartTriggers },
      child([restart]),
    );
    this.hostFacts = facts.stdout.apply(hostFactsFromStatus);

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
