/**
 * Coordinated mode in the stack: an existing PostgreSQL (`coordination.postgresUrl`, a secret) or a
 * Coordinator installed on one of the hosts. Bad config stops before any registration; the URL
 * reaches each controller's config as a secret and nowhere else in plaintext.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { coordinatorNames } from "../../components/coordination-config.ts";
import { componentTypes, providerResourceTypes as t } from "../../components/resource-types.ts";
import { parseControllerConfig } from "../../runtime/config/controller-config.ts";
import { devRepositories, devStack, hostsOf } from "./support/dev-stack.ts";
import { resolve, runProgram } from "./support/mock-program.ts";
import type { Recorder } from "./support/mock-program.ts";
import { isSecretWrapped, publicView, reveal } from "./support/secret-inputs.ts";
import { generateDevSecrets } from "./support/stand-ins.ts";

const secrets = generateDevSecrets();
const databaseUrl = "postgresql://fleet:s3cret-Db-Passw0rd@db.internal.example:5432/runner_fleet?sslmode=verify-full";

type Edit = (config: Record<string, unknown>) => void;

const secretCoordination: Edit = (c) => (c["runner-fleet:coordination"] = { postgresUrl: { secure: "placeholder" } });

/** A second host, so pg_hba.conf has two addresses to admit. */
const twoHosts: Edit = (c) => {
  const second = structuredClone(hostsOf(c)[0]!);
  Object.assign(second, { name: "hv2", address: "198.51.100.20", publicUrl: "https://hv2.ci.acme-corp.example" });
  delete second.sshHostKey;
  hostsOf(c).push(second);
};

function controllerConfig(recorder: Recorder, host: string) {
  return parseControllerConfig(JSON.parse(reveal<string>(recorder.named(`runner-fleet-${host}-config`).inputs.stdin)));
}

describe("bad coordination config", () => {
  it.each<{ name: string; edit: Edit; standIns?: Record<string, string>; error: RegExp }>([
    {
      name: "a plaintext postgresUrl",
      edit: (c) => (c["runner-fleet:coordination"] = { postgresUrl: databaseUrl }),
      error: /runner-fleet:coordination: must be a secret, refusing a plaintext value/,
    },
    {
      name: "a postgresUrl that is not a PostgreSQL URL",
      edit: secretCoordination,
      standIns: { "runner-fleet:coordination.postgresUrl": "mysql://root:hunter2-secret@db/fleet" },
      error: /runner-fleet:coordination\.postgresUrl: expected postgresql:\/\/USER:PASSWORD@HOST:PORT\/DATABASE/,
    },
    {
      name: "both a postgresUrl and a coordinator",
      edit: (c) => {
        secretCoordination(c);
        c["runner-fleet:coordinator"] = { host: "hv1" };
      },
      standIns: { "runner-fleet:coordination.postgresUrl": databaseUrl },
      error: /runner-fleet:coordinator: set either coordination\.postgresUrl or coordinator, not both/,
    },
    {
      name: "a coordinator on a host that is not declared",
      edit: (c) => (c["runner-fleet:coordinator"] = { host: "db1" }),
      error: /runner-fleet:coordinator\.host: no host is named "db1"/,
    },
    {
      name: "a coordinator with a fleet host known only by name",
      edit: (c) => {
        twoHosts(c);
        hostsOf(c)[1]!.address = "hv2.acme-corp.example";
        c["runner-fleet:coordinator"] = { host: "hv1" };
      },
      error: /runner-fleet:hosts\[1\]\.address: must be an IP address with coordinator/,
    },
    {
      name: "coordinator clients that are not addresses",
      edit: (c) => (c["runner-fleet:coordinator"] = { host: "hv1", clients: ["hv2.acme-corp.example"] }),
      error: /runner-fleet:coordinator\.clients\[0\]: expected an IP address or a CIDR network/,
    },
    {
      name: "a provided certificate without its key",
      edit: (c) =>
        (c["runner-fleet:coordinator"] = {
          host: "hv1",
          tls: { kind: "provided", certificate: "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----", ca: "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----" },
        }),
      error: /runner-fleet:coordinatorTlsKey: required with coordinator\.tls\.kind provided/,
    },
    {
      name: "an unknown field in coordinator",
      edit: (c) => (c["runner-fleet:coordinator"] = { host: "hv1", listen: "0.0.0.0" }),
      error: /runner-fleet:coordinator: Unrecognized key: "listen"/,
    },
    {
      name: "a short coordinator password",
      edit: (c) => {
        c["runner-fleet:coordinator"] = { host: "hv1" };
        c["runner-fleet:coordinatorPassword"] = { secure: "placeholder" };
      },
      standIns: { "runner-fleet:coordinatorPassword": "short" },
      error: /runner-fleet:coordinatorPassword: must be at least 16 characters/,
    },
  ])("$name: stops with a named error before any resource", async ({ edit, standIns, error }) => {
    const { config } = devStack(edit, standIns ?? {}, secrets);
    const run = runProgram(config, devRepositories);
    await expect(run).rejects.toBeInstanceOf(pulumi.RunError);
    await expect(run).rejects.toThrow(error);
    // The error names the key; it never shows the URL's password.
    await expect(run).rejects.not.toThrow(/hunter2|s3cret/);
  });
});

describe("an existing PostgreSQL (coordination.postgresUrl)", () => {
  it("goes into every host's controller config as coordination.postgres.url, inside the secret config", async () => {
    const { config } = devStack((c) => {
      twoHosts(c);
      secretCoordination(c);
    }, { "runner-fleet:coordination.postgresUrl": databaseUrl }, secrets);
    const { recorder, outputs } = await runProgram(config, devRepositories);
    for (const host of ["hv1", "hv2"]) {
      expect(isSecretWrapped(recorder.named(`runner-fleet-${host}-config`).inputs.stdin)).toBe(true);
      expect(controllerConfig(recorder, host).coordination?.postgres.url).toBe(databaseUrl);
    }
    expect(recorder.ofType(componentTypes.coordinator)).toEqual([]);
    expect(JSON.stringify(recorder.registrations.map((r) => publicView(r.inputs)))).not.toContain("s3cret-Db-Passw0rd");
    expect(JSON.stringify(await Promise.all(Object.values(outputs).map((o) => resolve(o as never))))).not.toContain("s3cret-Db-Passw0rd");
  });

  it("without coordination, the controllers run alone as before", async () => {
    const { recorder } = await runProgram(devStack(undefined, {}, secrets).config, devRepositories);
    expect(controllerConfig(recorder, "hv1").coordination).toBeUndefined();
    expect(recorder.registrations.some((r) => r.name.includes("coordinator"))).toBe(false);
  });
});

describe("a Coordinator on one of the hosts", () => {
  it("installs PostgreSQL there for the fleet's addresses only, and every controller connects with TLS verified", async () => {
    const { config } = devStack((c) => {
      twoHosts(c);
      c["runner-fleet:coordinator"] = { host: "hv2" };
    }, {}, secrets);
    const { recorder, outputs } = await runProgram(config, devRepositories);
    expect(recorder.ofType(componentTypes.coordinator).map((r) => r.name)).toEqual(["runner-fleet-coordinator"]);
    const step = (name: string) => recorder.named(`runner-fleet-coordinator-${name}`);
    const commands = recorder.ofType(t.remoteCommand).map((r) => r.name).filter((name) => name.includes("coordinator-"));
    expect(commands.sort()).toEqual(
      ["coordinator-config", "coordinator-packages", "coordinator-role", "coordinator-tls", "hv1-coordinator-ca", "hv2-coordinator-ca"].map((n) => `runner-fleet-${n}`).sort(),
    );
    // Over hv2's SSH connection, listening on hv2's address, admitting hv1 and hv2.
    expect(reveal<{ host: string }>(step("packages").inputs.connection).host).toBe("198.51.100.20");
    const configScript = String(step("config").inputs.stdin);
    expect(configScript).toContain("listen_addresses = '198.51.100.20'");
    expect(configScript).toMatch(/hostssl runner_fleet\s+runner_fleet\s+203\.0\.113\.10\/32\s+scram-sha-256/);
    expect(configScript).toMatch(/hostssl runner_fleet\s+runner_fleet\s+198\.51\.100\.20\/32\s+scram-sha-256/);

    // The password: derived, secret in the role step and the controller configs, nowhere in plaintext.
    const role = step("role");
    expect(isSecretWrapped(role.inputs.stdin)).toBe(true);
    expect(role.inputs.logging).toBe("none");
    const urls = ["hv1", "hv2"].map((host) => new URL(controllerConfig(recorder, host).coordination!.postgres.url));
    expect(urls.map((u) => `${u.hostname}:${u.port}${u.pathname}`)).toEqual(["198.51.100.20:5432/runner_fleet", "198.51.100.20:5432/runner_fleet"]);
    expect(urls[0]!.searchParams.get("sslrootcert")).toBe(coordinatorNames.clientRootCert);
    const password = decodeURIComponent(urls[0]!.password);
    expect(password).toMatch(/^[0-9a-f]{64}$/);
    expect(reveal<string>(role.inputs.stdin)).not.toContain(password);
    expect(JSON.stringify(recorder.registrations.map((r) => publicView(r.inputs)))).not.toContain(password);
    expect(JSON.stringify(await Promise.all(Object.values(outputs).map((o) => resolve(o as never))))).not.toContain(password);

    // Each host pins the certificate before its controller restarts.
    const ca = recorder.named("runner-fleet-hv1-coordinator-ca");
    expect(ca.inputs.delete).toBe(`rm -f ${coordinatorNames.clientRootCert}`);
  });

  it("admits the networks in coordinator.clients instead, and then hosts may be named by DNS", async () => {
    const { config } = devStack((c) => {
      twoHosts(c);
      hostsOf(c)[1]!.address = "hv2.acme-corp.example";
      c["runner-fleet:coordinator"] = { host: "hv1", clients: ["10.20.0.0/24"] };
    }, {}, secrets);
    const { recorder } = await runProgram(config, devRepositories);
    const rules = String(recorder.named("runner-fleet-coordinator-config").inputs.stdin)
      .split("\n")
      .filter((line) => line.startsWith("hostssl"));
    expect(rules).toEqual([expect.stringMatching(/^hostssl runner_fleet\s+runner_fleet\s+10\.20\.0\.0\/24\s+scram-sha-256$/)]);
  });

  it("takes the operator's password when one is set", async () => {
    const { config } = devStack((c) => {
      c["runner-fleet:coordinator"] = { host: "hv1", port: 6543 };
      c["runner-fleet:coordinatorPassword"] = { secure: "placeholder" };
    }, { "runner-fleet:coordinatorPassword": "an-operator-chosen-password" }, secrets);
    const { recorder } = await runProgram(config, devRepositories);
    const url = new URL(controllerConfig(recorder, "hv1").coordination!.postgres.url);
    expect([decodeURIComponent(url.password), url.port]).toEqual(["an-operator-chosen-password", "6543"]);
  });
});
