/**
 * Entry of dist/guest-agent.cjs, the runner stand-in inside lab VMs (Debian's Node 18).
 *
 *   node guest-agent.cjs [--jit-config-file PATH] [--work-root DIR]
 *
 * Without --jit-config-file the encoded JIT config is read from stdin: the guest init pipes it
 * from fw_cfg, so it never lands in a file or in argv. It is never printed. Console lines go to
 * stdout (the init sends them to the serial console); the exit code is one of agentExitCodes.
 */
import { readFile } from "node:fs/promises";
import { agentExitCodes, runAgent } from "./agent.ts";

interface Args {
  jitConfigFile?: string;
  workRoot?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {};
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === "--jit-config-file" || flag === "--work-root") && value !== undefined) {
      if (flag === "--jit-config-file") args.jitConfigFile = value;
      else args.workRoot = value;
      i += 1;
    } else {
      throw new Error(`unknown or incomplete argument: ${flag} (expected --jit-config-file PATH, --work-root DIR)`);
    }
  }
  return args;
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
    jitConfig = args.jitConfigFile ? await readFile(args.jitConfigFile, "utf8") : await readStdin();
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
