/** `fleet doctor`: remove stale runner registrations, orphan domains, overlays, secrets and old serial logs. */
import type { Command } from "../command.ts";
import { ExitCode, UsageError } from "../exit-codes.ts";
import { loadConfig, writeJson } from "../../ops/command-input.ts";
import { parseFlags } from "../flags.ts";
import { parseDuration } from "../../ops/duration.ts";
import { opsGitHub } from "../../ops/github-client.ts";
import { renderDoctor, runDoctor, type DoctorVerdict } from "../../ops/host-doctor.ts";
import { hypervisorFor } from "../../hypervisor/from-config.ts";
import { staleSnapshots } from "../../controller/snapshot-store.ts";
import { rm } from "node:fs/promises";

const usage = `usage: fleet doctor [--config FILE] [--min-age 30m] [--keep-logs 20] [--apply] [--json]

Finds what a controller left behind on this host and on GitHub: runner registrations with the
host's prefix and neither VM record nor domain (offline, not busy), domains without a record,
overlays and JIT config files without a record, serial logs of failed VMs beyond the newest
--keep-logs, and snapshots no pool wants any more (a new image, agent or shape) or that an
interrupted make left. Never touches a VM that has a record, nor anything younger than --min-age, so it is
safe while the controller runs (the maintenance timer runs it with --apply --min-age 30m).
A dry run unless --apply.

  --config FILE     controller config (default /etc/runner-fleet/controller.json)
  --min-age DUR     leave anything younger alone (default 30m; 0 for everything)
  --keep-logs N     serial logs of failed VMs to keep (default 20)
  --apply           remove; without it, only print what would be removed
  --json            the report as JSON

Exit codes: 0 nothing to remove (or everything removed with --apply), 3 leftovers found (dry run)
or some could not be removed, 4 GitHub unreachable (local leftovers are still handled),
2 bad flags or config.`;

const exitCodes: Record<DoctorVerdict, number> = { clean: ExitCode.ok, cleaned: ExitCode.ok, leftovers: ExitCode.degraded, failed: ExitCode.degraded, unreachable: ExitCode.unreachable };

export const command: Command = {
  summary: "find and (with --apply) remove stale runners, orphan domains, overlays, secrets and old logs",
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      config: { type: "string" },
      "min-age": { type: "string" },
      "keep-logs": { type: "string" },
      apply: { type: "boolean" },
      json: { type: "boolean" },
    });
    const minAgeMs = parseDuration(flags["min-age"] ?? "30m");
    if (minAgeMs === undefined) throw new UsageError(`--min-age ${JSON.stringify(flags["min-age"])}: expected a duration such as 30m, 2h or 0`);
    const keepLogs = Number(flags["keep-logs"] ?? "20");
    if (!Number.isInteger(keepLogs) || keepLogs < 0) throw new UsageError(`--keep-logs ${JSON.stringify(flags["keep-logs"])}: expected a whole number`);
    const config = await loadConfig(flags.config);
    const hypervisor = hypervisorFor(config);
    const report = await runDoctor({ config, hypervisor, github: opsGitHub(config), now: Date.now, minAgeMs, keepLogs, apply: flags.apply === true });
    const snapshots = await staleSnapshots({ config, hypervisor }, Date.now(), minAgeMs);
    if (flags.apply) for (const stale of snapshots) await rm(stale.path, { recursive: true, force: true });
    if (flags.json) writeJson(io.stdout, { ...report, snapshots });
    else io.stdout.write(renderDoctor(report) + snapshots.map((s) => `${flags.apply ? "removed" : "would remove"} snapshot ${s.path}: ${s.why}\n`).join(""));
    return snapshots.length > 0 && !flags.apply && report.verdict === "clean" ? ExitCode.degraded : exitCodes[report.verdict];
  },
};
