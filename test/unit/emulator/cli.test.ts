// `fleet emulator` as operators run it: the built bundle (dist/fleet.cjs, built by globalSetup).
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { parseEmulatorFlags } from "../../../runtime/cli/commands/emulator.ts";
import { UsageError } from "../../../runtime/cli/exit-codes.ts";
import { quietLog } from "../../support/checked-emulator.ts";
import { startWebhookReceiver } from "../../support/webhook-receiver.ts";

const dir = mkdtempSync(join(tmpdir(), "fleet-emulator-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fleet(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ["dist/fleet.cjs", ...args], { cwd: process.cwd(), env: { ...process.env, FLEET_LOG_LEVEL: "warn" } });
}

function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => resolve(line));
    child.once("exit", (code) => reject(new Error(`exited with ${code} before printing`)));
  });
}

function exit(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
}

describe("fleet emulator", () => {
  it("prints `listening on URL` first, serves GitHub's API with the key it wrote, sends webhooks, and stops on SIGTERM", async () => {
    const receiver = await startWebhookReceiver();
    const secretFile = join(dir, "webhook-secret");
    writeFileSync(secretFile, "cli-webhook-secret\n", { mode: 0o600 });
    const keyFile = join(dir, "app.pem");
    const child = fleet(["emulator", "--port", "0", "--webhook-url", receiver.url, "--webhook-secret-file", secretFile, "--app-private-key-out", keyFile]);
    const exited = exit(child);
    const line = await firstLine(child);
    expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    const url = line.slice("listening on ".length);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const octokit = new Octokit({ baseUrl: `${url}/api/v3`, log: quietLog, authStrategy: createAppAuth, auth: { appId: 1, privateKey: readFileSync(keyFile, "utf8"), installationId: 100 } });
    const jit = await octokit.rest.actions.generateRunnerJitconfigForOrg({ org: "acme", name: "cli-runner", runner_group_id: 1, labels: ["cli"] });
    expect(jit.status).toBe(201);
    const enqueued = await fetch(`${url}/_emulator/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ repository: "acme/app", labels: ["cli"], steps: [{ name: "s", run: "true" }] }),
    });
    expect(enqueued.status).toBe(201);
    const [delivery] = await receiver.waitFor(1);
    expect(delivery!.headers["x-hub-signature-256"]).toMatch(/^sha256=/);

    child.kill("SIGTERM");
    expect(await exited).toMatchObject({ code: 0 });
    await receiver.close();
  });

  it("accepts the operator's own app key with --app-id and --app-public-key", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const publicFile = join(dir, "app.pub.pem");
    writeFileSync(publicFile, publicKey.export({ type: "spki", format: "pem" }));
    const child = fleet(["emulator", "--app-id", "4242", "--app-public-key", publicFile]);
    const exited = exit(child);
    const url = (await firstLine(child)).slice("listening on ".length);
    const app = new Octokit({ baseUrl: url, log: quietLog, authStrategy: createAppAuth, auth: { appId: 4242, privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString() } });
    expect((await app.rest.apps.getAuthenticated()).data?.id).toBe(4242);
    child.kill("SIGTERM");
    expect((await exited).code).toBe(0);
  });

  it.each([
    [["--bogus"], "bogus"],
    [["--port", "http"], "--port"],
    [["--webhook-url", "http://127.0.0.1:1/hook"], "--webhook-secret-file"],
  ])("exits 2 with a usage error for %j", async (args, mention) => {
    const { code, stderr } = await exit(fleet(["emulator", ...args]));
    expect(code).toBe(2);
    expect(stderr).toContain(mention);
    expect(stderr).toContain("usage: fleet emulator");
  });
});

describe("parseEmulatorFlags", () => {
  const files: Record<string, string> = { "/secret": "s3cret\n", "/pub.pem": "-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----\n", "/empty": "", "/token": "ghp_token\n" };
  const read = (path: string): string => {
    if (!(path in files)) throw new Error("ENOENT: no such file");
    return files[path]!;
  };
  const parse = (args: string[]) => parseEmulatorFlags(args, read);
  const usageError = (args: string[]): string => {
    try {
      parse(args);
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error(`no usage error for ${args.join(" ")}`);
  };

  it("maps flags to emulator options, reading secrets from files (never from argv)", () => {
    const settings = parse(["--port", "8080", "--host", "0.0.0.0", "--webhook-url", "http://a/x", "--webhook-url", "https://b/y/", "--webhook-secret-file", "/secret", "--runner-url", "http://10.0.2.100:8080/_runner", "--static-token-file", "/token", "--installation-token-ttl", "60"]);
    expect(settings.emulator).toMatchObject({
      port: 8080,
      host: "0.0.0.0",
      webhooks: [
        { url: "http://a/x", secret: "s3cret" },
        { url: "https://b/y", secret: "s3cret" },
      ],
      runnerUrl: "http://10.0.2.100:8080/_runner",
      staticTokens: ["ghp_token"],
      installationTokenTtlSeconds: 60,
    });
    expect(parse([]).emulator).toEqual({ port: 0, host: "127.0.0.1" });
    expect(parse(["--app-id", "7", "--app-public-key", "/pub.pem"]).emulator).toMatchObject({ appPublicKey: expect.stringContaining("PUBLIC KEY"), seed: { app: { id: 7 } } });
    expect(parse(["--runner-host", "10.215.7.1", "--runner-port", "9090"]).emulator.runnerListener).toEqual({ host: "10.215.7.1", port: 9090 });
    expect(parse(["--runner-host", "10.215.7.1"]).emulator.runnerListener).toEqual({ host: "10.215.7.1", port: 0 });
    expect(parse(["--app-id", "7", "--app-private-key-out", "/out.pem"])).toMatchObject({ privateKeyOut: "/out.pem", emulator: { seed: { app: { id: 7 } } } });
  });

  it("names the flag that is wrong", () => {
    expect(usageError(["--port", "70000"])).toContain("--port");
    expect(usageError(["--port", "-1"])).toContain("--port");
    expect(usageError(["--webhook-url", "ftp://x", "--webhook-secret-file", "/secret"])).toContain("--webhook-url");
    expect(usageError(["--webhook-url", "not a url", "--webhook-secret-file", "/secret"])).toContain("--webhook-url");
    expect(usageError(["--webhook-secret-file", "/secret"])).toContain("--webhook-url");
    expect(usageError(["--webhook-url", "http://a", "--webhook-secret-file", "/missing"])).toMatch(/--webhook-secret-file: cannot read \/missing/);
    expect(usageError(["--webhook-url", "http://a", "--webhook-secret-file", "/empty"])).toContain("empty");
    expect(usageError(["--app-public-key", "/pub.pem"])).toContain("--app-id");
    expect(usageError(["--app-id", "7"])).toContain("--app-public-key");
    expect(usageError(["--app-id", "x", "--app-public-key", "/pub.pem"])).toContain("--app-id");
    expect(usageError(["--app-id", "7", "--app-public-key", "/secret"])).toContain("PEM");
    expect(usageError(["--runner-port", "9090"])).toContain("--runner-host");
    expect(usageError(["--runner-host", "10.215.7.1", "--runner-port", "x"])).toContain("--runner-port");
    expect(usageError(["stray"])).toMatch(/positional|stray/i);
  });
});
