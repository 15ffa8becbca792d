/**
 * workflow_job webhooks to each host's controller (optional: controllers also poll). One per
 * host that has a publicUrl; an org webhook with scope org, a repository webhook with scope repo.
 */
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { hostUrls } from "./host-urls.ts";
import { componentTypes } from "./resource-types.ts";
import type { FleetConfig, HostSettings } from "./stack-config.ts";
import type { SecretValue } from "./secret-value.ts";

export const webhookEvents = ["workflow_job"] as const;

export interface WebhookTarget {
  host: string;
  url: string;
}

export function webhookTargets(hosts: readonly HostSettings[], path: string): WebhookTarget[] {
  return hosts.flatMap((host) => {
    const url = hostUrls(host, path).webhookUrl;
    return url === undefined ? [] : [{ host: host.name, url }];
  });
}

export interface WebhookArgs {
  github: FleetConfig["github"];
  target: WebhookTarget;
  secret: SecretValue;
  provider: github.Provider;
}

export class Webhook extends pulumi.ComponentResource {
  readonly url: string;

  constructor(name: string, args: WebhookArgs, opts?: pulumi.ComponentResourceOptions) {
    super(componentTypes.webhook, name, {}, opts);
    this.url = args.target.url;
    const configuration = {
      url: args.target.url,
      contentType: "json",
      insecureSsl: false,
      secret: pulumi.secret(args.secret.reveal()),
    };
    const childOpts = { parent: this, provider: args.provider };
    const common = { active: true, events: [...webhookEvents], configuration };
    if (args.github.scope === "org") {
      new github.OrganizationWebhook(name, common, childOpts);
    } else {
      const repository = args.github.repositories[0]!.split("/")[1]!;
      new github.RepositoryWebhook(name, { ...common, repository }, childOpts);
    }
    this.registerOutputs({ host: args.target.host, url: args.target.url, scope: args.github.scope });
  }
}
