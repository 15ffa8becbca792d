/**
 * `fleet emulator`: runs the GitHub emulator (runtime/emulator) until SIGTERM/SIGINT, for the
 * local lab and for trying runner-fleet before connecting a real organization.
 * The first stdout line is always `listening on http://HOST:PORT`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { defaultSeed } from "../../emulator/seed.ts";
import { startEmulator, type EmulatorOptions } from "../../emulator/server.ts";
import { createLogger } from "../../log/logger.ts";
import type { Command } from "../command.ts";
import { ExitCode, UsageError } from "../exit-codes.ts";
import { parseFlags } from "../flags.ts";

const usage = `usage: fleet emulator [--port N] [--host ADDR] [--webhook-url URL ... --webhook-secret-file FILE]
                      [--app-id ID --app-public-key FILE | --app-private-key-out FILE]
                      [--runner-host ADDR [--runner-port N]] [--runner-url URL] [--static-token-file FILE]

Serves a stand-in for GitHub's REST API (under / and /api/v3), the runner protocol
(/_runner/) and an admin API (/_emulator/, loopback clients only; see docs/emulator.md) until
SIGTERM. State is in
memory. Seeded with org acme (repos acme/app, acme/lib), user octo (octo/solo) and one GitHub
App installed on both.

  --port N                   port to listen on; 0 (default) picks a free one
  --host ADDR                address to listen on (default 127.0.0.1)
  --webhook-url URL          send signed workflow_job webhooks here (repeatable)
  --webhook-secret-file FILE secret for the webhook signatures (required with --webhook-url)
  --app-id ID                the GitHub App's id (default 1)
  --app-public-key FILE      PEM public key of the app whose JWTs to accept (with --app-id);
                             without it the emulator makes a key pair
  --app-private-key-out FILE write the generated app private key there (mode 0600)
  --runner-host ADDR         serve the runner protocol on a listener of its own there (and
                             nothing else on it), e.g. the guests' bridge address; the main
                             port then no longer serves /_runner/
  --runner-port N            that listener's port; 0 (default) picks a free one
  --runner-url URL           base URL written into JIT configs for runners to connect to
                             (default the runner listener's, or http://HOST:PORT/_runner)
  --static-token-file FILE   also accept the token in FILE as a personal access token
  --installation-token-ttl S installation token lifetime in seconds (default 3600)

Exit codes: 0 after SIGTERM/SIGINT, 2 bad flags or unreadable files.`;

const options = {
  port: { type: "string" },
  host: { type: "string" },
  "webhook-url": { type: "string", multiple: true },
  "webhook-secret-file": { type: "string" },
  "app-id": { type: "string" },
  "app-public-key": { type: "string" },
  "app-private-key-out": { type: "string" },
  "runner-url": { type: "string" },
  "runner-host": { type: "string" },
  "runner-port": { type: "string" },
  "static-token-file": { type: "string" },
  "installation-token-ttl": { type: "string" },
} as const;

export interface EmulatorCommandSettings {
  emulator: EmulatorOptions;
  privateKeyOut?: string;
}

function integer(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${raw}"`);
  return Number(raw);
}

function httpUrl(flag: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--${flag} must be a URL, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--${flag} must be an http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, "");
}

/** Flags -> emulator options. Pure apart from reading the files the flags name. */
export function parseEmulatorFlags(argv: string[], readText: (path: string) => string = (p) => readFileSync(p, "utf8")): EmulatorCommandSettings {
  const values = parseFlags(argv, options);
  const read = (flag: string, path: string): string => {
    try {
      const text = readText(path).trim();
      if (text === "") throw new Error("the file is empty");
      return text;
    } catch (error) {
      throw new UsageError(`--${flag}: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const emulator: EmulatorOptions = {
    port: values.port === undefined ? 0 : integer("port", values.port, 0, 65535),
    host: values.host ?? "127.0.0.1",
  };
  const webhookUrls = (values["webhook-url"] ?? []).map((u) => httpUrl("webhook-url", u));
  if (webhookUrls.length > 0) {
    if (values["webhook-secret-file"] === undefined) throw new UsageError("--webhook-url needs --webhook-secret-file (webhooks are always signed)");
    const secret = read("webhook-secret-file", values["webhook-secret-file"]);
    emulator.webhooks = webhookUrls.map((url) => ({ url, secret }));
  } else if (values["webhook-secret-file"] !== undefined) {
    throw new UsageError("--webhook-secret-file without --webhook-url");
  }
  const appId = values["app-id"] === undefined ? undefined : integer("app-id", values["app-id"], 1, 2 ** 31 - 1);
  if (values["app-public-key"] !== undefined) {
    if (appId === undefined) throw new UsageError("--app-public-key needs --app-id");
    if (values["app-private-key-out"] !== undefined) throw new UsageError("--app-private-key-out only applies when the emulator makes the key (no --app-public-key)");
    const pem = read("app-public-key", values["app-public-key"]);
    if (!pem.includes("PUBLIC KEY") && !pem.includes("PRIVATE KEY")) throw new UsageError(`--app-public-key: ${values["app-public-key"]} is not a PEM key`);
    emulator.appPublicKey = pem;
  } else if (appId !== undefined && values["app-private-key-out"] === undefined) {
    throw new UsageError("--app-id needs --app-public-key, or --app-private-key-out to receive the generated key");
  }
  if (appId !== undefined) {
    emulator.seed = { ...defaultSeed, app: { ...defaultSeed.app, id: appId } };
  }
  if (values["runner-host"] !== undefined) {
    const port = values["runner-port"] === undefined ? 0 : integer("runner-port", values["runner-port"], 0, 65535);
    emulator.runnerListener = { host: values["runner-host"], port };
  } else if (values["runner-port"] !== undefined) {
    throw new UsageError("--runner-port needs --runner-host");
  }
  if (values["runner-url"] !== undefined) emulator.runnerUrl = httpUrl("runner-url", values["runner-url"]);
  if (values["static-token-file"] !== undefined) emulator.staticTokens = [read("static-token-file", values["static-token-file"])];
  if (values["installation-token-ttl"] !== undefined) {
    emulator.installationTokenTtlSeconds = integer("installation-token-ttl", values["installation-token-ttl"], 1, 86_400);
  }
  return { emulator, ...(values["app-private-key-out"] !== undefined ? { privateKeyOut: values["app-private-key-out"] } : {}) };
}

export const command: Command = {
  summary: "Run the GitHub emulator (REST API, runner protocol, admin API) until SIGTERM",
  usage,
  async run(argv, io) {
    const settings = parseEmulatorFlags(argv);
    const logger = createLogger({ name: "emulator" });
    const emulator = await startEmulator({ ...settings.emulator, logger });
    if (settings.privateKeyOut !== undefined && emulator.app.privateKey) {
      writeFileSync(settings.privateKeyOut, emulator.app.privateKey, { mode: 0o600 });
    }
    io.stdout.write(`listening on ${emulator.url}\n`);
    io.stdout.write(`api ${emulator.url}/api/v3  runner protocol ${emulator.runnerUrl}  admin ${emulator.url}/_emulator/\n`);
    io.stdout.write(
      `app id ${emulator.app.id}, installations ${emulator.app.installations.map((i) => `${i.account}=${i.id}`).join(" ")}` +
        (settings.privateKeyOut !== undefined
          ? `, private key in ${settings.privateKeyOut}`
          : settings.emulator.appPublicKey === undefined
            ? " (generated key not saved: --app-private-key-out FILE keeps it)"
            : "") +
        "\n",
    );
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) return resolve();
      io.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await emulator.close();
    return ExitCode.ok;
  },
};
