/**
 * A Coordinator: PostgreSQL installed on one of the fleet's hosts, for the hosts to coordinate
 * through (docs/coordination.md). Debian's package, one listen address, TLS (a certificate made
 * on the host, or the operator's), a role whose password reaches the host only as a SCRAM
 * verifier, and a pg_hba.conf that admits the fleet's addresses over TLS and nothing else.
 * Steps are the plain data of coordinator-scripts.ts; scripts travel on stdin over SSH.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { coordinatorUrl } from "./coordination-config.ts";
import type { CoordinatorSettings } from "./coordination-config.ts";
import { coordinatorProvisioning, renderProvidedTlsScript, renderRoleScript } from "./coordinator-scripts.ts";
import { sshConnection } from "./host.ts";
import { componentTypes } from "./resource-types.ts";
import type { SecretValue } from "./secret-value.ts";
import type { HostSettings } from "./stack-config.ts";

export interface CoordinatorArgs {
  settings: CoordinatorSettings;
  /** The fleet host it is installed on (its SSH connection). */
  host: HostSettings;
  /** The addresses pg_hba.conf admits: every fleet host's. */
  clients: readonly string[];
  password: SecretValue;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export class Coordinator extends pulumi.ComponentResource {
  /** What every controller connects with: a secret (it holds the password). */
  readonly url: pulumi.Output<string>;
  /** The certificate the hosts verify the server with (public). */
  readonly rootCertificate: pulumi.Output<string>;
  /** The last step: the database is up, with its role, once this exists. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: CoordinatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super(componentTypes.coordinator, name, {}, opts);
    const { settings } = args;
    const connection = sshConnection(args.host);
    const child = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({ parent: this, dependsOn });
    // Steps whose stdin holds a secret: never logged, outputs kept secret.
    const secretStep = (dependsOn: pulumi.Resource[]): pulumi.CustomResourceOptions => ({
      ...child(dependsOn),
      additionalSecretOutputs: ["stdin", "stdout", "stderr"],
    });

    const steps = coordinatorProvisioning({
      listenAddress: settings.listenAddress,
      port: settings.port,
      clients: args.clients,
      tls: settings.tls.kind,
    });
    const packages = new command.remote.Command(
      `${name}-packages`,
      { connection, ...steps.packages, triggers: [sha256(steps.packages.stdin!)] },
      child(),
    );

    let tls: command.remote.Command;
    if (settings.tls.kind === "self-signed") {
      tls = new command.remote.Command(`${name}-tls`, { connection, ...steps.tls }, child([packages]));
      this.rootCertificate = tls.stdout;
    } else {
      const script = renderProvidedTlsScript(settings.tls.certificate, settings.tls.key.reveal());
      tls = new command.remote.Command(
        `${name}-tls`,
        { connection, ...steps.tls, stdin: pulumi.secret(script), logging: "none", triggers: [pulumi.secret(sha256(script))] },
        secretStep([packages]),
      );
      this.rootCertificate = pulumi.output(settings.tls.ca);
    }

    // A new certificate needs a restart, which the config step does.
    const config = new command.remote.Command(
      `${name}-config`,
      { connection, ...steps.config, triggers: [sha256(steps.config.stdin!), this.rootCertificate.apply(sha256)] },
      child([tls]),
    );
    const role = renderRoleScript(args.password.reveal());
    this.ready = new command.remote.Command(
      `${name}-role`,
      { connection, ...steps.role, stdin: pulumi.secret(role), logging: "none", triggers: [pulumi.secret(sha256(role))] },
      secretStep([config]),
    );
    this.url = pulumi.secret(coordinatorUrl(settings, args.password.reveal()));
    this.registerOutputs({
      host: args.host.name,
      listenAddress: settings.listenAddress,
      port: settings.port,
      tls: settings.tls.kind,
      clients: [...args.clients],
    });
  }
}
