/** The stack's hostFacts output: what it keeps of a controller's /status, and the command that reads it. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hostFactsFromStatus, renderFactsCommand } from "../../components/host-facts.ts";
import { parseControllerConfig } from "../../runtime/config/controller-config.ts";
import { admitPools } from "../../runtime/controller/pool-admission.ts";
import { buildStatus } from "../../runtime/controller/status-report.ts";
import { sysfsFacts } from "../../runtime/facts/sysfs-facts.ts";
import { hostFixture } from "../support/host-fixture.ts";

describe("hostFacts output", () => {
  it("reads /status on the controller's local address", () => {
    expect(renderFactsCommand("http://127.0.0.1:8080/healthz")).toBe("curl -fsS --max-time 10 'http://127.0.0.1:8080/status'");
  });

  it("keeps the facts, the refused pools and which pools run emulated from a real status document", async () => {
    const root = mkdtempSync(join(tmpdir(), "rf-stack-facts-"));
    try {
      hostFixture(root, { numa: [[0, 1], [2, 3]] });
      const facts = await sysfsFacts(root).read();
      const config = parseControllerConfig({
        host: { name: "hv1", vcpus: 4, memoryMiB: 8192 },
        github: { scope: { kind: "org", org: "acme" }, repositories: ["acme/app"], runnerGroupId: 1, auth: { kind: "token", token: "x".repeat(40) } },
        pools: [
          { name: "arm", labels: ["arm64"], min: 0, max: 1, vcpus: 1, memoryMiB: 512, arch: "arm64" },
          { name: "gpu", labels: ["gpu"], min: 0, max: 1, vcpus: 1, memoryMiB: 512, requires: { gpu: "nvidia" } },
        ],
        image: { base: "/img/base.qcow2", boot: { kind: "disk" } },
        network: { kind: "libvirt-network", network: "rf" },
      });
      const { admitted, refused } = admitPools(config, facts);
      const status = buildStatus({
        config: { ...config, pools: admitted },
        now: 0,
        health: { startedAt: 0, lastPassAt: 0, lastPassOk: true, lastError: undefined, githubOkAt: 0, rateLimit: undefined, drainingSince: undefined, shuttingDownSince: undefined, setupProblems: [] },
        pools: [],
        used: { vcpus: 0, memoryMiB: 0 },
        records: [],
        history: [],
        hardware: { facts, source: sysfsFacts(root), refused },
      });
      const output = hostFactsFromStatus(JSON.stringify(status));
      expect(output?.facts).toMatchObject({ arch: "x86_64", cpu: { cores: 4 }, numaNodes: [{ id: 0 }, { id: 1 }], gpus: [] });
      expect(output?.pools).toEqual([{ name: "arm", arch: "aarch64", emulated: true }]);
      expect(output?.refusedPools).toEqual([{ name: "gpu", problems: ["requires.gpu: no nvidia GPU on this host (it has none)"] }]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it.each(["", "curl: (7) Failed to connect", "[]", "null"])("is null for output that is not a status document: %j", (stdout) => {
    expect(hostFactsFromStatus(stdout)).toBeNull();
  });
});
