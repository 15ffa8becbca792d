/**
 * Flag and file handling shared by the operator commands: strict flag parsing (a typo is a
 * usage error, exit 2), the controller config, controller URLs and the admin token.
 */
import { readFile, stat } from "node:fs/promises";
import { ConfigError } from "../config/config-error.ts";
import type { ControllerConfig } from "../config/controller-config.ts";
import { readControllerConfig } from "../config/read-controller-config.ts";
import { hostLayout } from "../controller/endpoints.ts";
import { UsageError } from "../cli/exit-codes.ts";
import { controllerBaseUrl, controllerUrlProblem } from "./controller-client.ts";

/** The controller config (default: where the stack installs it). Problems are usage errors naming the key. */
export async function loadConfig(path: string | undefined): Promise<ControllerConfig> {
  try {
    return await readControllerConfig(path ?? hostLayout.configFile);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--config ${error.message}`);
    throw error;
  }
}

/** Checked, normalised --controller values. */
export function controllerFlags(values: readonly string[] | undefined): string[] {
  return (values ?? []).map((url) => {
    const problem = controllerUrlProblem(url);
    if (problem) throw new UsageError(`--controller: ${problem}`);
    return controllerBaseUrl(url);
  });
}

/** This host's own controller, from its config's listen address (none when it listens on port 0). */
export function ownControllerUrl(config: ControllerConfig): string | undefined {
  if (config.listen.port === 0) return undefined;
  const host = config.listen.host === "0.0.0.0" ? "127.0.0.1" : config.listen.host === "::" ? "::1" : config.listen.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.listen.port}`;
}

/** The controllers a config-driven command reads: the --controller flags, else this host and guard.controllers. */
export function configControllers(config: ControllerConfig, flags: readonly string[] | undefined): string[] {
  const given = controllerFlags(flags);
  if (given.length > 0) return given;
  const own = ownControllerUrl(config);
  const others = (config.guard?.controllers ?? []).map(controllerBaseUrl);
  return [...new Set([...(own ? [own] : []), ...others])];
}

/** `--repo owner/name` values, each checked; default: the given list. */
export function repositoryFlags(values: readonly string[] | undefined, fallback: readonly string[]): string[] {
  if (values === undefined || values.length === 0) return [...fallback];
  for (const value of values) {
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(value)) throw new UsageError(`--repo ${JSON.stringify(value)}: expected owner/name`);
  }
  return [...new Set(values)];
}

/**
 * The admin token: from --token-file (a file only its owner can read) or FLEET_ADMIN_TOKEN.
 * Never from argv: command lines are visible to every user in the process list.
 */
export async function adminToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  if (tokenFile !== undefined) {
    let info;
    try {
      info = await stat(tokenFile);
    } catch (error) {
      throw new UsageError(`--token-file ${tokenFile}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    if ((info.mode & 0o077) !== 0) {
      throw new UsageError(`--token-file ${tokenFile}: mode ${(info.mode & 0o777).toString(8).padStart(4, "0")} lets other users read the token; run: chmod 600 ${tokenFile}`);
    }
    const token = (await readFile(tokenFile, "utf8")).trim();
    if (token === "") throw new UsageError(`--token-file ${tokenFile}: the file is empty`);
    return token;
  }
  const fromEnv = env.FLEET_ADMIN_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  throw new UsageError("no admin token: pass --token-file FILE or set FLEET_ADMIN_TOKEN (never the token itself as an argument)");
}

/** Refuses `--token VALUE` with an explanation rather than the generic unknown-flag error. */
export function refuseTokenArgument(argv: readonly string[]): void {
  if (argv.some((arg) => arg === "--token" || arg.startsWith("--token="))) {
    throw new UsageError("--token is not accepted: a token on the command line shows in the process list; use --token-file FILE or FLEET_ADMIN_TOKEN");
  }
}

export function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(JSON.stringify(value, null, 2) + "\n");
}
