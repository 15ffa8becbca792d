/**
 * Entry of dist/guest-agent.cjs, the runner stand-in inside lab VMs (Debian's Node 18).
 *
 *   node guest-agent.cjs [--jit-config-file PATH] [--work-root DIR]
 *   node guest-agent.cjs --job-channel DEVICE --run-as USER [--work-root DIR]     (as root)
 *
 * Without --jit-config-file or --job-channel the encoded JIT config is read from stdin: the guest
 * init pipes it from fw_cfg, so it never lands in a file or in argv. With --job-channel the agent
 * (root: the port's device is root-only) waits for its job on the channel
 * (`runtime/protocol/job-channel.ts`), becomes USER, acks, closes the port and runs the job. The
 * config is never printed. Console lines go to stdout (the init sends them to the serial
 * console); the exit code is one of agentExitCodes.
 */
import { readFile } from "node:fs/promises";
import { channelWaitingLine } from "../protocol/job-channel.ts";
import { agentExitCodes, runAgent } from "./agent.ts";
import { openChannelDevice } from "./channel-device.ts";
import { serveJobChannel } from "./job-channel.ts";
import { becomeUser } from "./privileges.ts";
import { realGuestSystem, restoreHandlers } from "./restore-handlers.ts";

interface Args {
  jitConfigFile?: string;
  workRoot?: string;
  jobChannel?: string;
  runAs?: string;
}

const flags: Record<string, keyof Args> = {
  "--jit-config-file": "jitConfigFile",
  "--work-root": "workRoot",
  "--job-channel": "jobChannel",
  "--run-as": "runAs",
};

function parseArgs(argv: string[]): Args {
  const args: Args = {};
  for (let i = 0; i < argv.length; i += 1) {
    const key = flags[argv[i] ?? ""];
    const value = argv[i + 1];
    if (key === undefined || value === undefined) {
      throw new Error(`unknown or incomplete argument: ${argv[i]} (expected ${Object.keys(flags).map((f) => `${f} VALUE`).join(", ")})`);
    }
    args[key] = value;
    i += 1;
  }
  if ((args.jobChannel === undefined) !== (args.runAs === undefined)) throw new Error("--job-channel and --run-as go together");
  if (args.jobChannel !== undefined && args.jitConfigFile !== undefined) throw new Error("--job-channel and --jit-config-file exclude each other");
  return args;
}

/** Waits on the channel for the job, becomes `user` before acking it, and returns its JIT config. */
async function jitConfigFromChannel(device: string, user: string, say: (line: string) => void): Promise<string> {
  const port = await openChannelDevice(device);
  say(channelWaitingLine);
  try {
    // A restored guest is told who it is first (identity, network, clock); root does that.
    const job = await serveJobChannel(port, { ...restoreHandlers(realGuestSystem, say), job: async () => becomeUser(user) }, say);
    return job.jitConfig;
  } finally {
    port.close();
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<number> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  let args: Args;
  let jitConfig: string;
  try {
    args = parseArgs(process.argv.slice(2));
    jitConfig = args.jobChannel
      ? await jitConfigFromChannel(args.jobChannel, args.runAs!, say)
      : args.jitConfigFile
        ? await readFile(args.jitConfigFile, "utf8")
        : await readStdin();
  } catch (error) {
    say(`runner-fleet agent: ${(error as Error).message}`);
    return agentExitCodes.configError;
  }
  const abort = new AbortController();
  process.once("SIGTERM", () => abort.abort());
  process.once("SIGINT", () => abort.abort());
  const result = await runAgent({ jitConfig, console: say, signal: abort.signal, workRoot: args.workRoot });
  return result.exitCode;
}

// Exit at once: idle keep-alive sockets would otherwise hold the process (and the VM's poweroff)
// for seconds. stdout to a pipe or file is synchronous on Linux, so nothing printed is lost.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stdout.write(`runner-fleet agent: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(agentExitCodes.protocolError);
  },
);
