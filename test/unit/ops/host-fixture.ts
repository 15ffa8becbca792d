/**
 * A host without a running controller, for `fleet health` and `fleet doctor`: a state
 * directory, the in-memory hypervisor and the emulator as GitHub, with helpers that plant the
 * leftovers a crashed controller leaves (records, domains, overlays, files, registrations).
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ControllerConfig } from "../../../runtime/config/controller-config.ts";
import { stateDirs, vmPaths } from "../../../runtime/controller/naming.ts";
import type { VmRecord } from "../../../runtime/controller/vm-record.ts";
import type { Emulator } from "../../../runtime/emulator/server.ts";
import { startEmulatorChecked } from "../../support/checked-emulator.ts";
import { createMemoryHypervisor, type MemoryHypervisor } from "../../../runtime/hypervisor/memory/memory-hypervisor.ts";
import { opsGitHub } from "../../../runtime/ops/github-client.ts";
import type { OctokitGitHub } from "../../../runtime/github/octokit-github.ts";
import { emulatorConfig, staticToken } from "../guard/emulator-support.ts";
import { fleetLabels } from "../guard/fixtures.ts";
import { ProtocolRunner } from "../../support/protocol-runner.ts";

export const vm = (n: number) => `rf-h1-small-${String(n).padStart(8, "0")}`;

export interface TestHost {
  emulator: Emulator;
  config: ControllerConfig;
  hypervisor: MemoryHypervisor;
  github: OctokitGitHub;
  stateDir: string;
  addRecord(name: string, phase: VmRecord["phase"]): Promise<void>;
  addDomain(name: string, createdAgoMs: number): Promise<void>;
  addOverlay(name: string): Promise<void>;
  addFile(kind: "secret" | "log", name: string, agoMs: number): Promise<string>;
  /** Registers a runner with GitHub; `online` connects a session for it. */
  registerRunner(name: string, online?: boolean): Promise<number>;
  runnerNames(): string[];
  close(): Promise<void>;
}

export async function startTestHost(): Promise<TestHost> {
  const emulator = await startEmulatorChecked({ staticTokens: [staticToken] });
  const stateDir = await mkdtemp(join(tmpdir(), "rf-host-"));
  const dirs = stateDirs(stateDir);
  for (const dir of [dirs.records, dirs.overlays, dirs.secrets, dirs.logs]) await mkdir(dir, { recursive: true });
  const base = join(stateDir, "base.qcow2");
  await writeFile(base, "base image stand-in");
  const config = emulatorConfig(emulator, stateDir, { image: { base, boot: { kind: "disk" } }, hypervisor: { driver: "memory", domainType: "qemu" } });
  const hypervisor = createMemoryHypervisor();
  const github = opsGitHub(config, { writeSpacingMs: 0 });
  const connected: ProtocolRunner[] = [];
  return {
    emulator,
    config,
    hypervisor,
    github,
    stateDir,
    async addRecord(name, phase) {
      const record: VmRecord = { name, pool: "small", phase, times: { requested: Date.now() } };
      await writeFile(vmPaths(stateDir, name).record, JSON.stringify(record), { mode: 0o600 });
    },
    async addDomain(name, createdAgoMs) {
      const paths = vmPaths(stateDir, name);
      await hypervisor.defineDomain({
        name,
        vcpus: 1,
        memoryMiB: 512,
        disk: paths.overlay,
        boot: { kind: "disk" },
        fwCfg: [],
        network: { kind: "libvirt-network", network: "runner-fleet" },
        serialLog: paths.serialLog,
        metadata: { pool: "small", createdAt: new Date(Date.now() - createdAgoMs).toISOString() },
      });
    },
    async addOverlay(name) {
      await hypervisor.createOverlay(base, vmPaths(stateDir, name).overlay);
    },
    async addFile(kind, name, agoMs) {
      const path = kind === "secret" ? vmPaths(stateDir, name).secret : vmPaths(stateDir, name).serialLog;
      await writeFile(path, kind === "secret" ? "jit-config-stand-in" : "serial console\n", { mode: 0o600 });
      const at = (Date.now() - agoMs) / 1000;
      await utimes(path, at, at);
      return path;
    },
    async registerRunner(name, online = false) {
      const { runner, encodedJitConfig } = emulator.github.generateJitRunner({ kind: "org", org: "acme" }, { name, labels: fleetLabels, groupId: 1, workFolder: "_work" });
      if (online) {
        const session = new ProtocolRunner(encodedJitConfig, emulator.runnerUrl);
        if ((await session.connect()) !== 201) throw new Error(`runner ${name} could not connect`);
        connected.push(session);
      }
      return runner.id;
    },
    runnerNames() {
      return (emulator.snapshot().runners as { name: string }[]).map((r) => r.name).sort();
    },
    async close() {
      for (const session of connected) await session.disconnect().catch(() => undefined);
      await emulator.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
