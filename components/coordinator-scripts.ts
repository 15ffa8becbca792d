/**
 * What a Coordinator runs on its host, as plain data (like host-provisioning.ts): Debian's
 * PostgreSQL, listening on one address, TLS only, and a pg_hba.conf that admits the fleet's
 * hosts and nobody else. The Coordinator component wires each step into a `command.remote.Command`;
 * the systemd-host test can run the same steps over ssh. Each script is idempotent.
 */
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import type { RemoteStep } from "./host-provisioning.ts";
import { coordinatorNames } from "./coordination-config.ts";
import { scriptHeader, shellQuote, writeFileScript } from "./shell.ts";

export const coordinatorFiles = {
  /** Our files: certificate, key, config snippet, pg_hba.conf. */
  dir: "/etc/postgresql/runner-fleet",
  cert: "/etc/postgresql/runner-fleet/server.crt",
  key: "/etc/postgresql/runner-fleet/server.key",
  confName: "runner-fleet.conf",
} as const;

export interface PostgresConfParams {
  listenAddress: string;
  port: number;
}

/** conf.d snippet: one address, TLS 1.2+ with our certificate, SCRAM passwords. */
export function renderPostgresConf(params: PostgresConfParams): string {
  return [
    "# runner-fleet coordinator: managed by the stack, overwritten on every pulumi up",
    `listen_addresses = '${params.listenAddress}'`,
    `port = ${params.port}`,
    "ssl = on",
    `ssl_cert_file = '${coordinatorFiles.cert}'`,
    `ssl_key_file = '${coordinatorFiles.key}'`,
    "ssl_min_protocol_version = 'TLSv1.2'",
    "password_encryption = 'scram-sha-256'",
    `hba_file = '${coordinatorFiles.dir}/pg_hba.conf'`,
    "",
  ].join("\n");
}

/**
 * pg_hba.conf, whole: local administration as `postgres` (peer, for pg_dump and psql on the host),
 * and the fleet's role on its database from each fleet address, over TLS, with SCRAM. Anything
 * else (another address, no TLS, another role or database) matches no line and is refused.
 */
export function renderPgHba(clients: readonly string[]): string {
  const { database, user } = coordinatorNames;
  const unique = [...new Set(clients)];
  return [
    "# runner-fleet coordinator: managed by the stack, overwritten on every pulumi up",
    "# TYPE  DATABASE      USER          ADDRESS              METHOD",
    "local   all           postgres                           peer",
    ...unique.map((address) => `hostssl ${database.padEnd(13)} ${user.padEnd(13)} ${hostCidr(address).padEnd(20)} scram-sha-256`),
    "",
  ].join("\n");
}

function hostCidr(address: string): string {
  if (address.includes("/")) return address;
  return address.includes(":") ? `${address}/128` : `${address}/32`;
}

/**
 * A SCRAM-SHA-256 verifier (RFC 7677, as PostgreSQL stores it), so the host's psql and server
 * logs only ever see the verifier, never the password. The salt is derived from the password:
 * the same password gives the same step input, so an unchanged `pulumi up` changes nothing.
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = createHmac("sha256", password).update("runner-fleet/coordinator/scram-salt/v1").digest().subarray(0, 16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** Finds the newest cluster named main (Debian 12: 15, Debian 13: 17) and its config directory. */
const findCluster = [
  `version=$(pg_lsclusters -h | awk '$2 == "main" { print $1 }' | sort -V | tail -n 1)`,
  `if [ -z "$version" ]; then echo "no PostgreSQL cluster named main (pg_lsclusters)" >&2; exit 1; fi`,
  `conf_dir="/etc/postgresql/$version/main"`,
].join("\n");

export function renderPackagesScript(): string {
  return [
    scriptHeader("install PostgreSQL for the coordinator"),
    "export DEBIAN_FRONTEND=noninteractive",
    "if ! dpkg-query -W -f '${Status}' postgresql openssl 2>/dev/null | grep -c 'install ok installed' | grep -qx 2; then",
    "  apt-get update -q",
    "  apt-get install -y -q --no-install-recommends postgresql openssl",
    "fi",
    findCluster,
    `echo "PostgreSQL $version"`,
    "",
  ].join("\n");
}

/**
 * A self-signed certificate for the listen address, made on the host (the key never leaves it).
 * Kept while it names that address; printed on stdout, since the fleet's hosts pin it.
 */
export function renderSelfSignedTlsScript(listenAddress: string): string {
  const { dir, cert, key } = coordinatorFiles;
  return [
    scriptHeader("coordinator TLS certificate (self-signed)"),
    `install -d -m 0750 -o postgres -g postgres ${dir}`,
    `if ! openssl x509 -in ${cert} -noout -ext subjectAltName 2>/dev/null | grep -qE 'IP Address:${listenAddress.replace(/\./g, "\\.")}(,|$)'; then`,
    `  umask 077`,
    `  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \\`,
    `    -subj '/CN=runner-fleet coordinator' -addext 'subjectAltName=IP:${listenAddress}' \\`,
    `    -keyout ${key}.new -out ${cert}.new 2>/dev/null`,
    `  chown postgres:postgres ${key}.new ${cert}.new`,
    `  chmod 0600 ${key}.new`,
    `  chmod 0644 ${cert}.new`,
    `  mv ${key}.new ${key}`,
    `  mv ${cert}.new ${cert}`,
    "fi",
    `cat ${cert}`,
    "",
  ].join("\n");
}

/** The operator's certificate and key (the key is secret: this script travels as a secret). */
export function renderProvidedTlsScript(certificate: string, key: string): string {
  const { dir, cert, key: keyFile } = coordinatorFiles;
  return [
    scriptHeader("coordinator TLS certificate (provided)"),
    `install -d -m 0750 -o postgres -g postgres ${dir}`,
    writeFileScript(cert, certificate, "0644"),
    writeFileScript(keyFile, key, "0600"),
    `chown postgres:postgres ${cert} ${keyFile}`,
    "",
  ].join("\n");
}

/**
 * Writes our postgresql.conf snippet and pg_hba.conf into our own directory, points the cluster at
 * them (a conf.d file; `hba_file` replaces Debian's pg_hba.conf without touching it), restarts the
 * cluster (listen_addresses needs it) and waits until it accepts connections.
 */
export function renderConfigScript(params: PostgresConfParams & { clients: readonly string[] }): string {
  const { dir, confName } = coordinatorFiles;
  return [
    scriptHeader("coordinator PostgreSQL config and pg_hba.conf"),
    findCluster,
    writeFileScript(`${dir}/${confName}`, renderPostgresConf(params)),
    writeFileScript(`${dir}/pg_hba.conf`, renderPgHba(params.clients), "0640"),
    `chown postgres:postgres ${dir}/${confName} ${dir}/pg_hba.conf`,
    `install -m 0644 ${dir}/${confName} "$conf_dir/conf.d/${confName}"`,
    `pg_ctlcluster "$version" main restart`,
    "for _ in $(seq 1 60); do",
    `  if pg_isready -q -h ${shellQuote(params.listenAddress)} -p ${params.port}; then exit 0; fi`,
    "  sleep 1",
    "done",
    `echo "PostgreSQL did not accept connections on ${params.listenAddress}:${params.port} within 60 s" >&2`,
    "exit 1",
    "",
  ].join("\n");
}

/** Back to Debian's config (loopback only, its pg_hba.conf); the data stays. */
export function renderConfigRemoveScript(): string {
  return [
    scriptHeader("remove the coordinator's PostgreSQL config (the database stays)"),
    "command -v pg_lsclusters >/dev/null || exit 0",
    findCluster,
    `rm -f "$conf_dir/conf.d/${coordinatorFiles.confName}"`,
    `pg_ctlcluster "$version" main restart`,
    "",
  ].join("\n");
}

/** The role (with its SCRAM verifier) and the database it owns; secret, since it carries the verifier. */
export function renderRoleScript(password: string): string {
  const { database, user } = coordinatorNames;
  const sql = [
    `SELECT 'CREATE ROLE ${user} LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${user}')\\gexec`,
    `ALTER ROLE ${user} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${scramVerifier(password)}';`,
    `SELECT 'CREATE DATABASE ${database} OWNER ${user}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${database}')\\gexec`,
    `REVOKE ALL ON DATABASE ${database} FROM PUBLIC;`,
  ].join("\n");
  return [
    scriptHeader("coordinator role and database"),
    "runuser -u postgres -- psql -q -X -v ON_ERROR_STOP=1 -d postgres <<'RUNNER_FLEET_SQL'",
    sql,
    "RUNNER_FLEET_SQL",
    "",
  ].join("\n");
}

/** Each fleet host keeps the certificate it verifies the coordinator with. */
export function renderClientRootCertScript(certificate: string): string {
  return [scriptHeader("coordinator certificate for the controller"), writeFileScript(coordinatorNames.clientRootCert, certificate, "0644"), ""].join("\n");
}

export const clientRootCertRemove = `rm -f ${coordinatorNames.clientRootCert}`;

export interface CoordinatorProvisioning {
  packages: RemoteStep;
  /** Self-signed: prints the certificate. Provided: its stdin is secret (the key). */
  tls: RemoteStep;
  config: RemoteStep;
  /** Its stdin (the role script) is secret: the caller supplies it from the password. */
  role: RemoteStep;
}

export function coordinatorProvisioning(params: PostgresConfParams & { clients: readonly string[]; tls: "self-signed" | "provided" }): CoordinatorProvisioning {
  return {
    packages: { create: "bash -s", stdin: renderPackagesScript() },
    tls: params.tls === "self-signed" ? { create: "bash -s", stdin: renderSelfSignedTlsScript(params.listenAddress) } : { create: "bash -s" },
    config: { create: "bash -s", stdin: renderConfigScript(params), delete: renderConfigRemoveScript() },
    role: { create: "bash -s" },
  };
}
