/**
 * Guard tests against the real emulator: a config that reaches it with a static token, the
 * routing variable set "a while ago", and a stand-in for a GitHub-hosted runner that takes jobs
 * labelled ubuntu-latest (the emulator has no hosted runners of its own).
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseControllerConfig, type ControllerConfig, type ControllerConfigInput } from "../../../runtime/config/controller-config.ts";
import type { Emulator } from "../../../runtime/emulator/server.ts";
import { routingVariableName } from "../../../runtime/routing/decide.ts";
import { ProtocolRunner } from "../../support/protocol-runner.ts";
import { fleetLabels } from "./fixtures.ts";

export const staticToken = "ghp_guard_test_token_0123456789abcdef";

export function emulatorConfig(emulator: Emulator, stateDir: string, extra: Partial<ControllerConfigInput> = {}): ControllerConfig {
  return parseControllerConfig({
    host: { name: "h1", vcpus: 8, memoryMiB: 8192 },
    github: { apiUrl: emulator.url, scope: { kind: "org", org: "acme" }, repositories: ["acme/app"], runnerGroupId: 1, auth: { kind: "token", token: staticToken } },
    listen: { host: "127.0.0.1", port: 0 },
    pools: [{ name: "small", labels: fleetLabels, min: 0, max: 2, vcpus: 1, memoryMiB: 512 }],
    image: { base: "/var/lib/base.qcow2", boot: { kind: "disk" } },
    network: { kind: "libvirt-network", network: "runner-fleet" },
    paths: { state: stateDir },
    ...extra,
  });
}

export async function configFile(config: ControllerConfig, dir: string, name = "controller.json"): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

export const tempDir = () => mkdtemp(join(tmpdir(), "guard-"));

/** Sets a repository variable in the emulator's model, as last updated `agoMs` ago. */
export function setVariable(emulator: Emulator, repository: string, name: string, value: string, agoMs = 60_000): void {
  const at = Date.now() - agoMs;
  emulator.github.state.variablesOf(repository).set(name.toUpperCase(), { name: name.toUpperCase(), value, createdAt: at, updatedAt: at });
}

export function variable(emulator: Emulator, repository: string, name: string): string | undefined {
  return emulator.github.state.variablesOf(repository).get(name.toUpperCase())?.value;
}

export const routingOnSinceAMinute = (emulator: Emulator, repository = "acme/app") => setVariable(emulator, repository, routingVariableName, "true");

let hostedRunners = 0;

/** A "GitHub-hosted" runner (labels ubuntu-latest) that takes one queued job and completes it. */
export async function runOnHostedRunner(emulator: Emulator): Promise<void> {
  hostedRunners++;
  const { encodedJitConfig } = emulator.github.generateJitRunner(
    { kind: "org", org: "acme" },
    { name: `GitHub Actions ${1000 + hostedRunners}`, labels: ["ubuntu-latest"], groupId: 1, workFolder: "_work" },
  );
  const runner = new ProtocolRunner(encodedJitConfig, emulator.runnerUrl);
  if ((await runner.connect()) !== 201) throw new Error("hosted runner could not connect");
  const job = await runner.poll(5);
  if (!job) throw new Error("hosted runner got no job");
  await runner.runJob(job);
}
