import { describe, expect, it } from "vitest";
import { parseControllerConfig } from "../../../runtime/config/controller-config.ts";
import { archLine, archSteps, jobMachine } from "../../../runtime/lab/arch-lab.ts";
import { labControllerConfig } from "../../../runtime/lab/lab-config.ts";
import type { StepResult } from "../../../runtime/emulator/state.ts";

const step = (name: string, log: string, conclusion: StepResult["conclusion"] = "success"): StepResult => ({
  number: 1, name, status: "completed", conclusion, startedAt: 0, completedAt: 0, reportedStartedAt: 0, exitCode: 0, log,
});

describe("the arm64 lab", () => {
  it.each<[string, StepResult[], number | null, string, boolean]>([
    ["served on aarch64", [step("who am I", "runner"), step("machine", "aarch64\n")], 83_400, "arm64: job served on aarch64 in 83.4 s", true],
    ["served, but on the wrong machine", [step("machine", "x86_64\n")], 2_000, "arm64: job served on x86_64 in 2.0 s", false],
    ["not served: no machine step", [step("who am I", "runner")], 2_000, "arm64: job not served (no machine step output)", false],
    ["not served: the step failed", [step("machine", "sh: uname: not found", "failure")], 2_000, "arm64: job not served (no machine step output)", false],
    ["not completed", [step("machine", "aarch64")], null, "arm64: job not served (no machine step output)", false],
  ])("%s", (_, stepResults, completedAfter, line, ok) => {
    const job = { stepResults, createdAt: 1_000_000, completedAt: completedAfter === null ? null : 1_000_000 + completedAfter };
    expect(archLine("arm64", job)).toEqual({ line, ok });
  });

  it("takes the last line the machine step printed", () => {
    expect(jobMachine({ stepResults: [step("machine", "warning: something\naarch64\n")] })).toBe("aarch64");
  });

  it("adds the uname -m step only on arm64", () => {
    expect(archSteps("x64")).toEqual([]);
    expect(archSteps("arm64")).toEqual([{ name: "machine", run: "uname -m" }]);
  });

  it("configures an arm64 pool: arm64 labels, one VM at a time, a longer boot timeout", () => {
    const input = {
      driver: "libvirt" as const,
      emulator: { url: "http://127.0.0.1:1", appId: 1, installationId: 1, privateKey: "-----BEGIN PRIVATE KEY-----" },
      image: { base: "/i/base.qcow2", kernel: "/i/vmlinux", initrd: "/i/initrd.img", cmdline: "console=ttyAMA0" },
      network: { kind: "libvirt-network" as const, network: "rf-lab" },
      stateDir: "/tmp/lab",
      webhookSecret: "x".repeat(32),
      adminToken: "y".repeat(32),
      pool: { min: 1, max: 3, vcpus: 1, memoryMiB: 768 },
      host: { vcpus: 4, memoryMiB: 4096 },
    };
    const arm = parseControllerConfig(labControllerConfig({ ...input, arch: "arm64" }));
    expect(arm.pools[0]).toMatchObject({ arch: "arm64", max: 1, labels: ["self-hosted", "linux", "arm64", "runner-fleet"] });
    expect(arm.timing.bootTimeoutSeconds).toBe(900);
    const x64 = parseControllerConfig(labControllerConfig(input));
    expect(x64.pools[0]).not.toHaveProperty("arch");
    expect(x64.pools[0]).toMatchObject({ max: 3, labels: ["self-hosted", "linux", "x64", "runner-fleet"] });
  });
});
