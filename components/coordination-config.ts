/**
 * The stack's coordination keys (docs/coordination.md): how the hosts find the PostgreSQL they
 * coordinate through. Either an existing database (`coordination.postgresUrl`, a secret) or a
 * `Coordinator` the stack installs on one of the fleet's hosts (`coordinator`). Neither: each
 * host coordinates with itself, as before.
 *
 * Pure, like stack-config.ts, which spreads `coordinationShape` into its schema and calls
 * `checkCoordination` and `coordinationSettings`; every rule here is tested with plain data.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { SecretValue } from "./secret-value.ts";

/** The database, role and file names a Coordinator uses on its host. */
export const coordinatorNames = {
  database: "runner_fleet",
  user: "runner_fleet",
  /** Where each fleet host keeps the certificate it verifies the coordinator against. */
  clientRootCert: "/etc/runner-fleet/coordinator-ca.pem",
} as const;

export type CoordinatorTls = { kind: "self-signed" } | { kind: "provided"; certificate: string; ca: string; key: SecretValue };

export interface CoordinatorSettings {
  /** The fleet host PostgreSQL is installed on (its SSH connection is reused). */
  host: string;
  /** The one address PostgreSQL listens on: the address the fleet's hosts reach it at. */
  listenAddress: string;
  port: number;
  /** What pg_hba.conf admits: addresses or CIDR networks. */
  clients: string[];
  tls: CoordinatorTls;
  /** The role's password; derived from the GitHub credential unless `coordinatorPassword` is set. */
  password?: SecretValue;
}

export type CoordinationSettings = { kind: "postgres-url"; url: SecretValue } | { kind: "coordinator"; coordinator: CoordinatorSettings };

const postgresUrl = z.instanceof(SecretValue).refine((secret) => {
  // The message must never echo the URL: it holds the password.
  try {
    const url = new URL(secret.reveal());
    return (url.protocol === "postgres:" || url.protocol === "postgresql:") && url.hostname !== "" && url.pathname.length > 1;
  } catch {
    return false;
  }
}, "expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE (the value is not shown: it is a secret)");

const pemCertificate = z.string().regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, "expected a PEM certificate");

const coordinatorSchema = z
  .object({
    host: z.string().min(1),
    listenAddress: z.ipv4({ error: "expected the IPv4 address the fleet's hosts reach the coordinator at" }).optional(),
    port: z.number().int().min(1).max(65535).default(5432),
    /** Addresses or networks pg_hba.conf admits; default every host's `address`. */
    clients: z
      .array(z.union([z.ipv4(), z.cidrv4(), z.ipv6(), z.cidrv6()], { error: "expected an IP address or a CIDR network" }))
      .min(1)
      .optional(),
    tls: z
      .union([
        z.object({ kind: z.literal("self-signed") }).strict(),
        z.object({ kind: z.literal("provided"), certificate: pemCertificate, ca: pemCertificate }).strict(),
      ])
      .default({ kind: "self-signed" }),
  })
  .strict();

const isEmptyObject = (value: unknown) => typeof value === "object" && value !== null && Object.keys(value).length === 0;

/** Spread into the stack schema: one entry per stack config key. */
export const coordinationShape = {
  coordination: z.object({ postgresUrl: postgresUrl.optional() }).strict(),
  // The key's default is {}: an empty object means no coordinator.
  coordinator: z.preprocess((value) => (isEmptyObject(value) ? undefined : value), coordinatorSchema.optional()),
  coordinatorPassword: z
    .instanceof(SecretValue)
    .refine((secret) => secret.reveal().length >= 16, "must be at least 16 characters")
    .optional(),
  coordinatorTlsKey: z
    .instanceof(SecretValue)
    .refine((secret) => secret.reveal().includes("PRIVATE KEY"), "expected a PEM private key")
    .optional(),
};

const coordinationKeys = z.object(coordinationShape);
type Parsed = z.output<typeof coordinationKeys>;
type Problem = { path: PropertyKey[]; message: string };
interface FleetHostRef {
  name: string;
  address: string;
}

/** Rules across keys: one way of coordinating, a coordinator on a declared host, hosts it can admit. */
export function checkCoordination(stack: Parsed & { hosts: readonly FleetHostRef[] }): Problem[] {
  const problems: Problem[] = [];
  const { coordinator } = stack;
  if (stack.coordination.postgresUrl !== undefined && coordinator !== undefined) {
    problems.push({ path: ["coordinator"], message: "set either coordination.postgresUrl or coordinator, not both" });
  }
  if (coordinator === undefined) {
    if (stack.coordinatorPassword !== undefined) problems.push({ path: ["coordinatorPassword"], message: "only used with coordinator" });
    if (stack.coordinatorTlsKey !== undefined) problems.push({ path: ["coordinatorTlsKey"], message: "only used with coordinator" });
    return problems;
  }
  const host = stack.hosts.find((h) => h.name === coordinator.host);
  if (host === undefined) {
    problems.push({ path: ["coordinator", "host"], message: `no host is named "${coordinator.host}"` });
  } else if (coordinator.listenAddress === undefined && isIP(host.address) !== 4) {
    problems.push({ path: ["coordinator", "listenAddress"], message: `required: host "${host.name}" has no IPv4 address to listen on` });
  }
  // pg_hba.conf admits addresses, not names: without clients, every fleet host's must be one.
  stack.hosts.forEach((h, i) => {
    if (coordinator.clients === undefined && isIP(h.address) === 0) {
      problems.push({ path: ["hosts", i, "address"], message: "must be an IP address with coordinator (pg_hba.conf admits the fleet's addresses), or list them in coordinator.clients" });
    }
  });
  const tlsKey = stack.coordinatorTlsKey;
  if (coordinator.tls.kind === "provided" && tlsKey === undefined) {
    problems.push({ path: ["coordinatorTlsKey"], message: "required with coordinator.tls.kind provided (the certificate's private key, as a secret)" });
  }
  if (coordinator.tls.kind === "self-signed" && tlsKey !== undefined) {
    problems.push({ path: ["coordinatorTlsKey"], message: "only used with coordinator.tls.kind provided" });
  }
  return problems;
}

/** The checked keys as settings; undefined when the fleet does not coordinate through PostgreSQL. */
export function coordinationSettings(stack: Parsed & { hosts: readonly FleetHostRef[] }): CoordinationSettings | undefined {
  if (stack.coordination.postgresUrl !== undefined) return { kind: "postgres-url", url: stack.coordination.postgresUrl };
  const coordinator = stack.coordinator;
  if (coordinator === undefined) return undefined;
  const address = stack.hosts.find((h) => h.name === coordinator.host)!.address;
  const tls: CoordinatorTls =
    coordinator.tls.kind === "provided" ? { ...coordinator.tls, key: stack.coordinatorTlsKey! } : { kind: "self-signed" };
  return {
    kind: "coordinator",
    coordinator: {
      host: coordinator.host,
      listenAddress: coordinator.listenAddress ?? address,
      port: coordinator.port,
      clients: coordinator.clients ?? stack.hosts.map((h) => h.address),
      tls,
      ...(stack.coordinatorPassword !== undefined ? { password: stack.coordinatorPassword } : {}),
    },
  };
}

/**
 * The URL every controller connects with. TLS is verified against the certificate each host
 * keeps at `clientRootCert` (node-postgres reads `sslrootcert` as a file), matching the address.
 */
export function coordinatorUrl(coordinator: Pick<CoordinatorSettings, "listenAddress" | "port">, password: string): string {
  const { database, user, clientRootCert } = coordinatorNames;
  const query = `sslmode=verify-full&sslrootcert=${encodeURIComponent(clientRootCert)}`;
  return `postgresql://${user}:${encodeURIComponent(password)}@${coordinator.listenAddress}:${coordinator.port}/${database}?${query}`;
}
