/**
 * `fleet`: the one operator CLI. `npm run --silent fleet -- <command> [flags]`.
 * Each command lives in its own module under ./commands and is loaded only when used.
 */
import type { Command, CommandIO } from "./command.ts";
import { ExitCode, UsageError } from "./exit-codes.ts";

const commands: Record<string, () => Promise<{ command: Command }>> = {
  emulator: () => import("./commands/emulator.ts"),
  controller: () => import("./commands/controller.ts"),
  lab: () => import("./commands/lab.ts"),
  route: () => import("./commands/route.ts"),
  labels: () => import("./commands/labels.ts"),
  status: () => import("./commands/status.ts"),
  guard: () => import("./commands/guard.ts"),
  drain: () => import("./commands/drain.ts"),
  resume: () => import("./commands/resume.ts"),
  rollback: () => import("./commands/rollback.ts"),
  restore: () => import("./commands/restore.ts"),
  health: () => import("./commands/health.ts"),
  doctor: () => import("./commands/doctor.ts"),
  canary: () => import("./commands/canary.ts"),
  simulate: () => import("./commands/simulate.ts"),
};

function overview(): string {
  return [
    "usage: fleet <command> [flags]     (npm run --silent fleet -- <command> ...)",
    "",
    "commands:",
    ...Object.keys(commands).map((name) => `  ${name}`),
    "",
    "fleet <command> --help shows a command's flags.",
  ].join("\n");
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(overview() + "\n");
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const load = commands[name];
  if (!load) {
    io.stderr.write(`fleet: unknown command "${name}"\n\n${overview()}\n`);
    return ExitCode.usage;
  }
  const { command } = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(command.usage + "\n");
    return ExitCode.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`fleet ${name}: ${error.message}\n\n${command.usage}\n`);
      return ExitCode.usage;
    }
    throw error;
  }
}

/** Runs the CLI with the process's argv and streams; the bundle entry (bin.ts) calls this. */
export function runFromProcess(): void {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => controller.abort(signal));
  }
  const io: CommandIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`fleet: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = ExitCode.error;
    },
  );
}
