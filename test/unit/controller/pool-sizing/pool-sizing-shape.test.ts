import { describe, expect, it } from "vitest";
import { parseControllerConfig } from "../../../../runtime/config/controller-config.ts";
import { poolSizingSettings } from "../../../../runtime/config/pool-sizing-shape.ts";

const config = (pool: Record<string, unknown>) => ({
  host: { name: "h1", vcpus: 4, memoryMiB: 4096 },
  github: { scope: { kind: "org", org: "acme" }, repositories: ["acme/app"], runnerGroupId: 2, auth: { kind: "token", token: "x".repeat(40) } },
  pools: [{ name: "small", labels: ["self-hosted"], min: 0, max: 3, vcpus: 1, memoryMiB: 1024, ...pool }],
  image: { base: "/img/base.qcow2", boot: { kind: "disk" } },
  network: { kind: "libvirt-network", network: "rf" },
});

describe("pool sizing settings", () => {
  it("default to today's behaviour: fixed, 60 s idle timeout", () => {
    expect(poolSizingSettings(parseControllerConfig(config({})).pools[0]!)).toEqual({ sizing: "fixed", coldStartTarget: 0.05, idleTimeoutMs: 60_000 });
  });

  it("are read from the pool", () => {
    const pool = parseControllerConfig(config({ sizing: "adaptive", coldStartTarget: 0.1, idleTimeoutSeconds: 600 })).pools[0]!;
    expect(poolSizingSettings(pool)).toEqual({ sizing: "adaptive", coldStartTarget: 0.1, idleTimeoutMs: 600_000 });
  });

  it.each([
    [{ sizing: "elastic" }, /pools\[0\]\.sizing/],
    [{ coldStartTarget: 0 }, /pools\[0\]\.coldStartTarget: must be above 0/],
    [{ coldStartTarget: 5 }, /pools\[0\]\.coldStartTarget: must be below 1/],
    [{ idleTimeoutSeconds: -1 }, /pools\[0\]\.idleTimeoutSeconds/],
  ])("refuse %j naming the field", (pool, error) => {
    expect(() => parseControllerConfig(config(pool))).toThrow(error);
  });
});
