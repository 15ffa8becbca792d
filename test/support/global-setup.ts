import { execFileSync } from "node:child_process";

/** Builds the bundles once per run: integration tests and CLI tests execute dist/, as hosts do. */
export default function setup(): void {
  execFileSync(process.execPath, ["scripts/build.mjs", "--quiet"], { stdio: "inherit" });
}
