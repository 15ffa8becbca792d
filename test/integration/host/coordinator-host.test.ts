/**
 * The Coordinator's provisioning on a real Debian 12 host with systemd as PID 1, over SSH: the
 * steps of components/coordinator-scripts.ts in `pulumi up`'s order (Debian's postgresql from the
 * mirror, a self-signed certificate, the config, the role), then again, then the delete. This
 * machine plays the fleet host (its end of the veth is the one address pg_hba.conf admits); the
 * container's own address plays a stranger.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coordinatorUrl } from "../../../components/coordination-config.ts";
import { coordinatorProvisioning, renderConfigRemoveScript, renderRoleScript } from "../../../components/coordinator-scripts.ts";
import { hostPackages } from "../../../components/host-scripts.ts";
import { SystemdHost, systemdHostRootfs } from "../../support/systemd-host.ts";

const password = `coordinator-${Math.random().toString(36).slice(2)}-password`;
const work = mkdtempSync(join(tmpdir(), "rf-coordinator-"));
let host: SystemdHost;
let certificate = "";

beforeAll(async () => {
  host = await SystemdHost.boot(await systemdHostRootfs(hostPackages("x64")));
}, 900_000);

afterAll(async () => {
  await host?.close();
  rmSync(work, { recursive: true, force: true });
});

const steps = () => coordinatorProvisioning({ listenAddress: host.address, port: 5432, clients: [host.gateway], tls: "self-signed" });

async function provision(): Promise<string> {
  const s = steps();
  await host.ok(s.packages.create, s.packages.stdin);
  const cert = await host.ok(s.tls.create, s.tls.stdin);
  await host.ok(s.config.create, s.config.stdin);
  await host.ok(s.role.create, renderRoleScript(password));
  return cert;
}

/** Connects as a controller would: the URL the stack renders, with the pinned certificate at sslrootcert. */
async function query(sql: string, url = coordinatorUrl({ listenAddress: host.address, port: 5432 }, password)): Promise<unknown[]> {
  const caFile = join(work, "coordinator-ca.pem");
  writeFileSync(caFile, certificate);
  const client = new pg.Client({ connectionString: url.replace(encodeURIComponent("/etc/runner-fleet/coordinator-ca.pem"), encodeURIComponent(caFile)), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("a Coordinator on a real systemd host", () => {
  it("installs PostgreSQL, and the fleet's address logs in over verified TLS with the password", async () => {
    certificate = await provision();
    expect(certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(await query("SELECT current_user AS who, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).toEqual([{ who: "runner_fleet", ssl: true }]);
    // It may make its tables (coordination runs migrations) in its own database.
    await query("CREATE TABLE probe (id int); DROP TABLE probe");
  }, 600_000);

  it("listens on the fleet's address only", async () => {
    const listening = await host.ok("ss -Hltn 'sport = :5432' | awk '{print $4}'");
    expect(listening.trim().split("\n")).toEqual([`${host.address}:5432`]);
  });

  it("refuses a connection without TLS, a wrong password, and any address not in the fleet", async () => {
    const plain = `postgresql://runner_fleet:${encodeURIComponent(password)}@${host.address}:5432/runner_fleet?sslmode=disable`;
    await expect(query("SELECT 1", plain)).rejects.toThrow(/no pg_hba\.conf entry for host "[\d.]+", user "runner_fleet", database "runner_fleet", no encryption/);
    const wrong = coordinatorUrl({ listenAddress: host.address, port: 5432 }, "not-the-password-at-all");
    await expect(query("SELECT 1", wrong)).rejects.toThrow(/password authentication failed for user "runner_fleet"/);
    // From the container's own address: a stranger to pg_hba.conf, even with TLS and the right password.
    const stranger = await host.ssh(
      `PGPASSWORD="$(cat)" psql -X -w "host=${host.address} port=5432 user=runner_fleet dbname=runner_fleet sslmode=require" -c 'SELECT 1'`,
      password,
    );
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toMatch(new RegExp(`no pg_hba\\.conf entry for host "${host.address.replace(/\./g, "\\.")}"`));
  });

  it("runs every step again without a change: same certificate, same login", async () => {
    expect(await provision()).toBe(certificate);
    expect(await query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  }, 300_000);

  it("on delete, stops listening beyond the host and keeps the data", async () => {
    await host.ok("bash -s", renderConfigRemoveScript());
    expect((await host.ok("ss -Hltn 'sport = :5432' | awk '{print $4}'")).trim().split("\n").sort()).toEqual(["127.0.0.1:5432", "[::1]:5432"]);
    expect((await host.ok(`runuser -u postgres -- psql -XAtc "SELECT datname FROM pg_database WHERE datname = 'runner_fleet'"`)).trim()).toBe("runner_fleet");
  });
});
