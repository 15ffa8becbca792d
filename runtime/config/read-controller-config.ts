/**
 * Loads the controller's config file. It holds secrets, so a file that group or others can
 * read is refused before it is even parsed; every problem is named in the error.
 */
import { readFile, stat } from "node:fs/promises";
import { ConfigError } from "./config-error.ts";
import { parseControllerConfig, type ControllerConfig } from "./controller-config.ts";

export async function readControllerConfig(path: string): Promise<ControllerConfig> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
    throw new ConfigError(path, [`mode ${mode} lets other users read secrets; run: chmod 600 ${path}`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new ConfigError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parseControllerConfig(value, path);
}
