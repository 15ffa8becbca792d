/**
 * What a Coordinator writes on its host: the pg_hba.conf lines and the postgresql.conf snippet as
 * tables, and every step script through bash's parser. The systemd-host test runs the scripts.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { coordinatorNames, coordinatorUrl } from "../../components/coordination-config.ts";
import {
  coordinatorProvisioning,
  renderClientRootCertScript,
  renderConfigRemoveScript,
  renderPgHba,
  renderPostgresConf,
  renderProvidedTlsScript,
  renderRoleScript,
  scramVerifier,
} from "../../components/coordinator-scripts.ts";

const ruleLines = (hba: string) => hba.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
const fields = (line: string) => line.trim().split(/\s+/);

describe("pg_hba.conf", () => {
  it.each([
    { clients: [], rules: [["local", "all", "postgres", "peer"]] },
    {
      clients: ["203.0.113.10"],
      rules: [
        ["local", "all", "postgres", "peer"],
        ["hostssl", "runner_fleet", "runner_fleet", "203.0.113.10/32", "scram-sha-256"],
      ],
    },
    {
      clients: ["203.0.113.10", "198.51.100.7", "203.0.113.10", "2001:db8::5"],
      rules: [
        ["local", "all", "postgres", "peer"],
        ["hostssl", "runner_fleet", "runner_fleet", "203.0.113.10/32", "scram-sha-256"],
        ["hostssl", "runner_fleet", "runner_fleet", "198.51.100.7/32", "scram-sha-256"],
        ["hostssl", "runner_fleet", "runner_fleet", "2001:db8::5/128", "scram-sha-256"],
      ],
    },
    {
      clients: ["10.20.0.0/24", "fd00:20::/64"],
      rules: [
        ["local", "all", "postgres", "peer"],
        ["hostssl", "runner_fleet", "runner_fleet", "10.20.0.0/24", "scram-sha-256"],
        ["hostssl", "runner_fleet", "runner_fleet", "fd00:20::/64", "scram-sha-256"],
      ],
    },
  ])("admits exactly the fleet's addresses $clients, over TLS with SCRAM", ({ clients, rules }) => {
    expect(ruleLines(renderPgHba(clients)).map(fields)).toEqual(rules);
  });

  it("has no rule a plain TCP, trust, password or md5 login could match", () => {
    const rules = ruleLines(renderPgHba(["10.0.0.1", "10.0.0.2"])).map(fields);
    expect(rules.filter((rule) => rule[0] !== "local").every((rule) => rule[0] === "hostssl" && rule.at(-1) === "scram-sha-256")).toBe(true);
    expect(rules.flat()).not.toContain("trust");
    expect(rules.flat()).not.toContain("all/0");
  });
});

describe("postgresql.conf snippet", () => {
  const settings = (text: string) =>
    Object.fromEntries(
      text
        .split("\n")
        .filter((line) => line.includes(" = "))
        .map((line) => line.split(" = ") as [string, string]),
    );
  it.each([
    { listenAddress: "203.0.113.10", port: 5432 },
    { listenAddress: "10.20.0.5", port: 6543 },
  ])("listens on $listenAddress:$port only, with TLS and SCRAM", ({ listenAddress, port }) => {
    expect(settings(renderPostgresConf({ listenAddress, port }))).toEqual({
      listen_addresses: `'${listenAddress}'`,
      port: String(port),
      ssl: "on",
      ssl_cert_file: "'/etc/postgresql/runner-fleet/server.crt'",
      ssl_key_file: "'/etc/postgresql/runner-fleet/server.key'",
      ssl_min_protocol_version: "'TLSv1.2'",
      password_encryption: "'scram-sha-256'",
      hba_file: "'/etc/postgresql/runner-fleet/pg_hba.conf'",
    });
  });
});

describe("the role's password", () => {
  it("reaches the host only as a SCRAM-SHA-256 verifier, the same for the same password", () => {
    const password = "a-coordinator-password-0123456789";
    const script = renderRoleScript(password);
    expect(script).not.toContain(password);
    const verifier = scramVerifier(password);
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(script).toContain(`PASSWORD '${verifier}'`);
    expect(scramVerifier(password)).toBe(verifier);
    expect(scramVerifier(`${password}x`)).not.toBe(verifier);
  });

  it("goes into the URL percent-encoded, with TLS verified against the pinned certificate", () => {
    const url = new URL(coordinatorUrl({ listenAddress: "203.0.113.10", port: 5432 }, "p@ss/word:1"));
    expect(decodeURIComponent(url.password)).toBe("p@ss/word:1");
    expect([url.protocol, url.hostname, url.port, url.pathname, url.username]).toEqual(["postgresql:", "203.0.113.10", "5432", "/runner_fleet", "runner_fleet"]);
    expect(url.searchParams.get("sslmode")).toBe("verify-full");
    expect(url.searchParams.get("sslrootcert")).toBe(coordinatorNames.clientRootCert);
  });
});

describe("step scripts", () => {
  const steps = coordinatorProvisioning({ listenAddress: "203.0.113.10", port: 5432, clients: ["203.0.113.10"], tls: "self-signed" });
  const scripts: [string, string][] = [
    ["packages", steps.packages.stdin!],
    ["tls (self-signed)", steps.tls.stdin!],
    ["config", steps.config.stdin!],
    ["config delete", renderConfigRemoveScript()],
    ["role", renderRoleScript("a-coordinator-password-0123456789")],
    ["tls (provided)", renderProvidedTlsScript("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----", "-----BEGIN PRIVATE KEY-----\ny\n-----END PRIVATE KEY-----")],
    ["client certificate", renderClientRootCertScript("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----")],
  ];
  it.each(scripts)("%s parses with bash -n", (_name, script) => {
    execFileSync("bash", ["-n"], { input: script });
  });

  it("makes the certificate for the listen address and prints it for the hosts to pin", () => {
    expect(steps.tls.stdin).toContain("subjectAltName=IP:203.0.113.10");
    expect(steps.tls.stdin!.trimEnd().split("\n").at(-1)).toBe("cat /etc/postgresql/runner-fleet/server.crt");
  });

  it("leaves the provided certificate's key out of the plain steps (it travels as a secret stdin)", () => {
    const provided = coordinatorProvisioning({ listenAddress: "203.0.113.10", port: 5432, clients: [], tls: "provided" });
    expect(provided.tls.stdin).toBeUndefined();
    expect(provided.role.stdin).toBeUndefined();
  });
});
