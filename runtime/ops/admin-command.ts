/** The shared body of `fleet drain` and `fleet resume` (two commands, one flag set). */
import type { Command } from "../cli/command.ts";
import { ExitCode, UsageError } from "../cli/exit-codes.ts";
import { adminToken, controllerFlags, refuseTokenArgument, writeJson } from "./command-input.ts";
import { parseFlags } from "../cli/flags.ts";
import { drainOrResume, type DrainAction, type DrainOutcome } from "./drain.ts";
import { parseDuration } from "./duration.ts";
import { createProgress, wantsProgress } from "../cli/progress.ts";

const exitCodes: Record<DrainOutcome, number> = { done: ExitCode.ok, "dry-run": ExitCode.ok, timeout: ExitCode.degraded, unreachable: ExitCode.unreachable, refused: ExitCode.refused };

export function adminCommand(action: DrainAction): Command {
  const waitMeaning = action === "drain" ? "until no VM on the host is busy" : "until the host takes jobs again";
  const usage = `usage: fleet ${action} --controller URL [--token-file FILE] [--wait] [--wait-timeout 30m] [--dry-run] [--json]

${action === "drain" ? "Stops a host from taking new jobs: busy VMs finish their jobs (within the controller's\ndrain grace period), idle VMs are removed. The host stays drained across controller restarts." : "Lets a drained host take jobs again; its warm pools refill."}

  --controller URL      the host's controller (base URL or its /status URL)
  --token-file FILE     the admin token (a file only its owner can read); else FLEET_ADMIN_TOKEN.
                        Never pass the token itself as an argument (process lists show it).
  --wait                follow the host's status ${waitMeaning}
  --wait-timeout DUR    give up waiting after this long (default 30m)
  --dry-run             say what would happen; change nothing (no token needed)
  --json                the result as JSON

Exit codes: 0 done (or dry run), 3 --wait timed out, 4 controller unreachable, 5 the controller
refused (bad token, admin endpoints disabled), 2 bad flags or no token.`;

  return {
    summary: action === "drain" ? "stop a host from taking new jobs (busy VMs finish)" : "let a drained host take jobs again",
    usage,
    async run(argv, io) {
      refuseTokenArgument(argv);
      const flags = parseFlags(argv, {
        controller: { type: "string" },
        "token-file": { type: "string" },
        wait: { type: "boolean" },
        "wait-timeout": { type: "string" },
        "dry-run": { type: "boolean" },
        json: { type: "boolean" },
      });
      if (flags.controller === undefined) throw new UsageError("--controller URL is required");
      const [url] = controllerFlags([flags.controller]);
      const waitTimeoutMs = parseDuration(flags["wait-timeout"] ?? "30m");
      if (waitTimeoutMs === undefined) throw new UsageError(`--wait-timeout ${JSON.stringify(flags["wait-timeout"])}: expected a duration such as 30m`);
      const dryRun = flags["dry-run"] === true;
      const token = dryRun ? undefined : await adminToken(flags["token-file"], io.env);
      const wait = flags.wait === true;
      const progress = createProgress(io.stderr, { enabled: wait && wantsProgress(io.stderr, io.env, flags.json === true) });
      const result = await drainOrResume({
        url: url!,
        action,
        ...(token !== undefined ? { token } : {}),
        dryRun,
        wait,
        waitTimeoutMs,
        signal: io.signal,
        onWaiting: (host) => progress.update(action === "drain" ? `${host.host}: draining, ${host.busy} VM(s) busy` : `${host.host}: resuming`),
      }).finally(() => progress.stop());
      if (flags.json) writeJson(io.stdout, result);
      else (result.outcome === "done" || result.outcome === "dry-run" ? io.stdout : io.stderr).write(`${result.message}\n`);
      return exitCodes[result.outcome];
    },
  };
}
