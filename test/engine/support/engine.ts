/**
 * The real Pulumi CLI for tests: `scripts/pulumi.sh` (the one entry users and tests share) against
 * a throwaway project folder holding a copy of Pulumi.yaml, its own file backend and stack files,
 * so a test never touches the repository's stacks.
 */
import { execFile, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repo = join(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InlineResult {
  ok: boolean;
  error?: string;
  steps: { op: string; type: string; name: string }[];
  stdout: string;
}

export class EngineProject {
  readonly dir = mkdtempSync(join(tmpdir(), "rf-engine-"));
  private readonly env: NodeJS.ProcessEnv;

  constructor() {
    copyFileSync(join(repo, "Pulumi.yaml"), join(this.dir, "Pulumi.yaml"));
    // The CLI checks that the project's `main` exists, even when the program comes from --client.
    symlinkSync(join(repo, "index.ts"), join(this.dir, "index.ts"));
    this.env = {
      ...process.env,
      RF_PULUMI_LAB: "1",
      PULUMI_BACKEND_URL: `file://${join(this.dir, ".state")}`,
      PULUMI_HOME: join(this.dir, ".pulumi-home"),
    };
  }

  /** `pulumi -C <project> ARGS…` through scripts/pulumi.sh; `input` goes to stdin (secrets). */
  pulumi(args: string[], input?: string): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = execFile(
        "bash",
        [join(repo, "scripts/pulumi.sh"), "-C", this.dir, "--non-interactive", ...args],
        { env: this.env, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(input ?? "");
    });
  }

  /** Fails the test with the CLI's own output unless the command succeeded. */
  async ok(args: string[], input?: string): Promise<CliResult> {
    const result = await this.pulumi(args, input);
    if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${result.code}):\n${result.stderr}${result.stdout}`);
    return result;
  }

  /** A preview of index.ts through the real engine (see inline-run.ts for how it reaches the program). */
  previewProgram(stack: string): Promise<InlineResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("node", ["--import", "tsx", join(repo, "test/engine/support/inline-run.ts")], {
        env: { ...this.env, PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", PULUMI_CONFIG_PASSPHRASE: "runner-fleet-lab" },
        cwd: repo,
        stdio: ["pipe", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.on("error", reject);
      child.on("close", () => {
        const line = out.trim().split("\n").at(-1) ?? "";
        try {
          resolve(JSON.parse(line) as InlineResult);
        } catch {
          reject(new Error(`inline-run printed no result:\n${out}`));
        }
      });
      child.stdin.end(JSON.stringify({ workDir: this.dir, stack, op: "preview" }));
    });
  }

  /** The stack's resources as the backend holds them (a preview must leave none). */
  async resources(stack: string): Promise<unknown[]> {
    const exported = await this.ok(["stack", "export", "--stack", stack]);
    const state = JSON.parse(exported.stdout) as { deployment?: { resources?: unknown[] } };
    return state.deployment?.resources ?? [];
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
