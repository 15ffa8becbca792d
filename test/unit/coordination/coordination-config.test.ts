import { describe, expect, it } from "vitest";
import { coordinationConfigSchema, redactPostgresUrl } from "../../../runtime/config/coordination-config.ts";
import { ConfigError } from "../../../runtime/config/config-error.ts";
import { parseControllerConfig } from "../../../runtime/config/controller-config.ts";

const base = {
  host: { name: "h1", vcpus: 4, memoryMiB: 4096 },
  github: { scope: { kind: "org", org: "acme" }, repositories: ["acme/app"], runnerGroupId: 1, auth: { kind: "token", token: "x".repeat(24) } },
  pools: [{ name: "small", labels: ["self-hosted"], min: 0, max: 2, vcpus: 1, memoryMiB: 512 }],
  image: { base: "/b.qcow2", boot: { kind: "disk" } },
  network: { kind: "libvirt-network", network: "runner-fleet" },
};
const url = "postgres://fleet:s3cret-pw@db.internal:5432/runner_fleet";

describe("coordination config", () => {
  it("fills the defaults", () => {
    expect(coordinationConfigSchema.parse({ postgres: { url } }).postgres).toEqual({
      url,
      leaseSeconds: 30,
      heartbeatSeconds: 5,
      statementTimeoutMs: 5000,
      poolSize: 4,
    });
  });

  it("is optional: a host without it runs alone", () => {
    expect(parseControllerConfig(base).coordination).toBeUndefined();
  });

  it.each([
    [{ url: "mysql://x" }, "coordination.postgres.url: expected a postgres:// or postgresql:// URL"],
    [{ url, leaseSeconds: 10, heartbeatSeconds: 6 }, "coordination.postgres.heartbeatSeconds: heartbeatSeconds must be at most half of leaseSeconds"],
    [{ url, poolSize: 0 }, "coordination.postgres.poolSize"],
    [{ url, extra: 1 }, "coordination.postgres"],
  ])("names the bad field %#", (postgres, message) => {
    try {
      parseControllerConfig({ ...base, coordination: { postgres } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(message);
      expect((error as Error).message).not.toContain("s3cret-pw");
    }
  });

  it.each([
    [url, "postgres://fleet:[redacted]@db.internal:5432/runner_fleet"],
    ["connect postgresql://u:p%40ss@h/db failed", "connect postgresql://u:[redacted]@h/db failed"],
    ["postgres://h/db?sslmode=require&password=pw", "postgres://h/db?sslmode=require&password=[redacted]"],
    ["postgres://u@h/db", "postgres://u@h/db"],
  ])("redacts %s", (text, redacted) => {
    expect(redactPostgresUrl(text)).toBe(redacted);
  });
});
