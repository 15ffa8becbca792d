/**
 * Runs index.ts through the real Pulumi CLI (scripts/pulumi-tools.sh) with the Automation API's
 * own language server (`pulumi preview --client=…`), in a process of its own as the language host
 * would. The Node.js language host binary is not available here (its Go module is refused by this
 * machine's module proxy), so this is how the real engine reaches the program: the engine, config
 * handling, secret decryption and resource monitor are the real ones; the host's `nodeargs`
 * loader setting is replaced by this process's own `--import tsx`.
 *
 * Reads `{ workDir, stack, op }` as JSON on stdin; prints one JSON line:
 * `{ ok, error?, steps: [{ op, type, name }], stdout }`.
 */
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation/index.js";
import type { EngineEvent } from "@pulumi/pulumi/automation/index.js";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

interface Request {
  workDir: string;
  stack: string;
  op: "preview";
}

const repo = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const request = JSON.parse(readFileSync(0, "utf8")) as Request;

const steps: { op: string; type: string; name: string }[] = [];
const onEvent = (event: EngineEvent): void => {
  const metadata = event.resourcePreEvent?.metadata;
  if (!metadata) return;
  const name = metadata.urn.split("::").at(-1) ?? metadata.urn;
  steps.push({ op: metadata.op, type: metadata.type, name });
};

let stdout = "";
try {
  const pulumiCommand = await PulumiCommand.get({ root: join(repo, ".tools/pulumi") });
  const stack = await LocalWorkspace.selectStack(
    {
      stackName: request.stack,
      projectName: "runner-fleet",
      program: async () => (await import(pathToFileURL(join(repo, "index.ts")).href)) as Record<string, unknown>,
    },
    { workDir: request.workDir, pulumiCommand },
  );
  await stack.preview({ onEvent, onOutput: (text) => (stdout += text) });
  process.stdout.write(`${JSON.stringify({ ok: true, steps, stdout })}\n`);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stdout.write(`${JSON.stringify({ ok: false, error: message, steps, stdout })}\n`);
}
process.exit(0);
