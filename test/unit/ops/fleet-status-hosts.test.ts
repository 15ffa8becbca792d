import { describe, expect, it } from "vitest";
import { renderFleetStatus } from "../../../runtime/ops/fleet-status.ts";
import { status, t0 } from "../guard/fixtures.ts";

const pool = { name: "small", labels: ["self-hosted"], min: 1, max: 4, idle: 1, busy: 2, starting: 1, freeSlots: 3 };
const host = (name: string, online: boolean, seenAt: number) => ({
  host: name,
  version: "schema-1",
  capacity: { vcpus: 8, memoryMiB: 8192 },
  free: { vcpus: 4, memoryMiB: 4096 },
  pools: [pool],
  draining: false,
  online,
  seenAt,
});

describe("fleet status in a coordinated fleet", () => {
  it("lists every host the coordinator knows, offline ones too, even when given one controller", () => {
    const own = status({ host: "h1", now: t0, lastPassAt: t0 - 1_000 });
    own.fleet = { hosts: [host("h1", true, t0 - 2_000), host("h2", false, t0 - 120_000)], claimsWaiting: 0 };
    const text = renderFleetStatus({ verdict: "healthy", controllers: [{ url: "http://h1:8080", name: "h1", reachable: true, status: own }] }, t0);
    const table = text.slice(text.indexOf("fleet hosts (from the coordinator)"));
    const rows = table.split("\n").slice(2, 4).map((line) => line.trim().split(/\s+/));
    expect(rows).toEqual([
      ["h1", "online", "2.0s", "ago", "1", "2", "1", "3", "no", "schema-1"],
      ["h2", "OFFLINE", "2m00s", "ago", "1", "2", "1", "3", "no", "schema-1"],
    ]);
  });

  it("shows no fleet table for a host alone", () => {
    const own = status({ host: "h1", now: t0, lastPassAt: t0 - 1_000 });
    expect(renderFleetStatus({ verdict: "healthy", controllers: [{ url: "http://h1:8080", reachable: true, status: own }] }, t0)).not.toContain("fleet hosts");
  });
});
