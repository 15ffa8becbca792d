/** `fleet health`: this host's controller and libvirt state against GitHub's runner inventory. */
import type { Command } from "../command.ts";
import { ExitCode } from "../exit-codes.ts";
import { controllerFlags, loadConfig, ownControllerUrl, writeJson } from "../../ops/command-input.ts";
import { parseFlags } from "../flags.ts";
import { opsGitHub } from "../../ops/github-client.ts";
import { checkHostHealth, renderHostHealth, type HealthVerdict } from "../../ops/host-health.ts";
import { hypervisorFor } from "../../hypervisor/from-config.ts";

const usage = `usage: fleet health [--config FILE] [--controller URL | --no-controller] [--strict] [--json]

Compares this host's state (libvirt domains with the owner prefix, VM records, overlays and JIT
config files in the state directory, the controller's /healthz) with GitHub's runners of the
same prefix. Findings have codes: local ones (domain-without-record, record-without-domain,
vm-without-runner, orphan-overlay, orphan-secret, unreadable-record) make the host degraded;
GitHub-side ones (runner-without-vm, busy-runner-without-vm, offline-runner) only with --strict.

  --config FILE     controller config (default /etc/runner-fleet/controller.json)
  --controller URL  the controller to ask (default: its listen address from the config)
  --no-controller   do not ask the controller (it is stopped on purpose)
  --strict          GitHub-side anomalies fail the check too
  --json            the report as JSON

Exit codes: 0 healthy, 3 degraded (local findings; with --strict GitHub-side ones too; the
controller reports problems), 4 the controller or GitHub unreachable, 2 bad flags or config.`;

const exitCodes: Record<HealthVerdict, number> = { healthy: ExitCode.ok, degraded: ExitCode.degraded, unreachable: ExitCode.unreachable };

export const command: Command = {
  summary: "compare this host's controller and libvirt state with GitHub's runner inventory",
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      config: { type: "string" },
      controller: { type: "string" },
      "no-controller": { type: "boolean" },
      strict: { type: "boolean" },
      json: { type: "boolean" },
    });
    const config = await loadConfig(flags.config);
    const controllerUrl = flags["no-controller"] ? undefined : flags.controller !== undefined ? controllerFlags([flags.controller])[0] : ownControllerUrl(config);
    const report = await checkHostHealth({
      config,
      hypervisor: hypervisorFor(config),
      github: opsGitHub(config),
      ...(controllerUrl !== undefined ? { controllerUrl } : {}),
      strict: flags.strict === true,
    });
    if (flags.json) writeJson(io.stdout, report);
    else io.stdout.write(renderHostHealth(report));
    return exitCodes[report.verdict];
  },
};
