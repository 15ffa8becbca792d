/** `fleet status`: pools, VMs, runners and recent jobs from one controller or every host of the stack. */
import { readFile } from "node:fs/promises";
import type { Command } from "../command.ts";
import { ExitCode, UsageError } from "../exit-codes.ts";
import { controllerFlags, writeJson } from "../../ops/command-input.ts";
import { parseFlags } from "../flags.ts";
import { parseDuration } from "../../ops/duration.ts";
import { readFleetStatus, renderFleetStatus, type FleetVerdict } from "../../ops/fleet-status.ts";
import { controllersFromStackOutputs } from "../../ops/stack-outputs.ts";

const usage = `usage: fleet status (--controller URL ... | --stack-outputs FILE) [--timeout 5s] [--json]

Shows each controller's state, pools, VMs and recent jobs with phase timings (queue wait,
setup = VM requested to runner online, boot, run, controller overhead).

  --controller URL      a controller's base URL (or its /status URL); repeatable
  --stack-outputs FILE  the JSON of \`pulumi stack output --json\`: every host in its hosts output
  --timeout DURATION    per request (default 5s)
  --json                {verdict, controllers: [{url, name, reachable, error, health, status}]}

Exit codes: 0 every controller healthy, 3 one or more degraded (unhealthy, no reconcile pass yet),
4 one or more unreachable, 2 bad flags or stack outputs.`;

export const exitCodeOf: Record<FleetVerdict, number> = { healthy: ExitCode.ok, degraded: ExitCode.degraded, unreachable: ExitCode.unreachable };

export const command: Command = {
  summary: "pools, VMs, runners and recent jobs of one or all controllers",
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      controller: { type: "string", multiple: true },
      "stack-outputs": { type: "string" },
      timeout: { type: "string" },
      json: { type: "boolean" },
    });
    const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout);
    if (timeoutMs === undefined && flags.timeout !== undefined) throw new UsageError(`--timeout ${JSON.stringify(flags.timeout)}: expected a duration such as 5s`);
    const controllers: { url: string; name?: string }[] = controllerFlags(flags.controller).map((url) => ({ url }));
    if (flags["stack-outputs"] !== undefined) {
      const file = flags["stack-outputs"];
      let outputs: unknown;
      try {
        outputs = JSON.parse(await readFile(file, "utf8"));
      } catch (error) {
        throw new UsageError(`--stack-outputs ${file}: ${error instanceof SyntaxError ? "not valid JSON" : `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`}`);
      }
      try {
        controllers.push(...controllersFromStackOutputs(outputs));
      } catch (error) {
        throw new UsageError(`--stack-outputs ${file}: ${(error as Error).message}`);
      }
    }
    if (controllers.length === 0) throw new UsageError("name the controllers: --controller URL or --stack-outputs FILE");

    const fleet = await readFleetStatus(controllers, timeoutMs);
    if (flags.json) writeJson(io.stdout, fleet);
    else io.stdout.write(renderFleetStatus(fleet, Date.now()));
    return exitCodeOf[fleet.verdict];
  },
};
