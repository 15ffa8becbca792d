/**
 * The whole fleet, composed from validated stack config: the GitHub provider, the runner group,
 * the routing variables of every repository, the webhooks, and every host.
 */
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { deriveAdminToken, deriveCoordinatorPassword } from "./admin-token.ts";
import { Coordinator } from "./coordinator.ts";
import type { ControllerBundle } from "./controller-bundle.ts";
import { renderAlertRules } from "./alert-rules.ts";
import { buildDashboard } from "./dashboard.ts";
import { githubProviderArgs } from "./github-provider.ts";
import { Host } from "./host.ts";
import type { HostCoordination, HostSummary } from "./host.ts";
import type { HostFactsOutput } from "./host-facts.ts";
import { fleetLabelSet, poolLabelSets } from "./labels.ts";
import { componentTypes } from "./resource-types.ts";
import { Routing, routingVariables } from "./routing.ts";
import { RunnerGroup } from "./runner-group.ts";
import type { SecretValue } from "./secret-value.ts";
import type { FleetConfig, HostSettings } from "./stack-config.ts";
import { Webhook, webhookTargets } from "./webhook.ts";

export interface FleetArgs {
  config: FleetConfig;
  bundle: ControllerBundle;
}

const githubCredential = (config: FleetConfig): SecretValue =>
  config.github.auth.kind === "app" ? config.github.auth.privateKey : config.github.auth.token;

/** The operator's admin token, or one derived per host from the GitHub credential. */
export function adminTokenFor(config: FleetConfig, host: Pick<HostSettings, "name">): SecretValue {
  return config.adminToken ?? deriveAdminToken(githubCredential(config), host.name);
}

/** The PostgreSQL the hosts coordinate through: the operator's URL, or a Coordinator on one of the hosts. */
function coordinationFor(config: FleetConfig, name: string, parent: pulumi.Resource): HostCoordination | undefined {
  const coordination = config.coordination;
  if (coordination === undefined) return undefined;
  if (coordination.kind === "postgres-url") return { url: pulumi.secret(coordination.url.reveal()) };
  const settings = coordination.coordinator;
  const coordinator = new Coordinator(
    `${name}-coordinator`,
    {
      settings,
      host: config.hosts.find((host) => host.name === settings.host)!,
      clients: settings.clients,
      password: settings.password ?? deriveCoordinatorPassword(githubCredential(config)),
    },
    { parent },
  );
  return { url: coordinator.url, rootCertificate: coordinator.rootCertificate, ready: coordinator.ready };
}

/** Resource names for a repository: `owner/name` is not a valid name part. */
export function repositoryResourceName(repository: string): string {
  return repository.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
}

export class Fleet extends pulumi.ComponentResource {
  readonly hosts: HostSummary[];
  /** Per host: its hardware facts and refused pools, from its controller's /status (components/host-facts.ts). */
  readonly hostFacts: Record<string, pulumi.Output<HostFactsOutput | null>>;
  readonly runnerGroupId: pulumi.Output<number>;
  readonly routingVariables: Record<string, string>;
  readonly labelSet: string[];
  readonly poolLabelSets: Record<string, string[]>;
  readonly webhookUrls: string[];
  readonly dashboard: string;
  /** Prometheus alert rules (a rules file) for the rollback triggers and leaks. */
  readonly alertRules: string;
  readonly adminTokens: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super(componentTypes.fleet, name, {}, opts);
    const { config } = args;
    const provider = new github.Provider(`${name}-github`, githubProviderArgs(config.github), { parent: this });

    const group = new RunnerGroup(`${name}-group`, { github: config.github, group: config.runnerGroup, provider }, { parent: this });
    this.runnerGroupId = group.groupId;

    this.labelSet = fleetLabelSet(config.hosts, config.fleetLabel);
    this.poolLabelSets = poolLabelSets(config.hosts, config.fleetLabel);
    this.routingVariables = routingVariables({
      trustedRouting: config.trustedRouting,
      labelSet: this.labelSet,
      poolLabelSets: this.poolLabelSets,
    });
    for (const repository of config.github.repositories) {
      new Routing(
        `${name}-routing-${repositoryResourceName(repository)}`,
        { repository, variables: this.routingVariables, provider },
        { parent: this },
      );
    }

    const coordination = coordinationFor(config, name, this);
    const tokens: Record<string, string> = {};
    const hosts = config.hosts.map((host) => {
      const adminToken = adminTokenFor(config, host);
      tokens[host.name] = adminToken.reveal();
      return new Host(
        `${name}-${host.name}`,
        { host, fleet: config, runnerGroupId: group.groupId, bundle: args.bundle, adminToken, ...(coordination ? { coordination } : {}) },
        { parent: this },
      );
    });
    this.hosts = hosts.map((host) => host.summary);
    this.hostFacts = Object.fromEntries(hosts.map((host) => [host.summary.name, host.hostFacts]));
    this.adminTokens = pulumi.secret(tokens);

    const webhook = config.webhook;
    const targets = webhook ? webhookTargets(config.hosts, webhook.path) : [];
    if (webhook) {
      for (const target of targets) {
        new Webhook(`${name}-webhook-${target.host}`, { github: config.github, target, secret: webhook.secret, provider }, { parent: this });
      }
    }
    this.webhookUrls = targets.map((target) => target.url);

    this.dashboard = JSON.stringify(buildDashboard(), null, 2);
    this.alertRules = renderAlertRules();
    this.registerOutputs({
      repositories: config.github.repositories,
      scope: config.github.scope,
      githubAuth: config.github.auth.kind,
      hosts: this.hosts.map((host) => ({ name: host.name, address: host.address })),
      webhookUrls: this.webhookUrls,
      runnerGroupId: this.runnerGroupId,
      labelSet: this.labelSet,
    });
  }
}
