/** Runs the built CLI bundle (dist/fleet.cjs, built by vitest's global setup) as operators do. */
import { execFile } from "node:child_process";
import { resolve } from "node:path";

export interface FleetResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function fleet(args: string[], env: NodeJS.ProcessEnv = {}): Promise<FleetResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [resolve("dist/fleet.cjs"), ...args],
      { env: { PATH: process.env.PATH, FLEET_LOG_LEVEL: "silent", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}
