/**
 * Builds the controller (runtime/cli/bin.ts, the `fleet` CLI) into the single file the stack
 * copies to every host, and hashes it: the hash is what restarts the controllers when the code
 * changes. esbuild output is deterministic, so unchanged sources give an unchanged hash.
 */
import { buildSync } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface ControllerBundle {
  path: string;
  sha256: string;
}

export function buildControllerBundle(projectRoot: string, outDir = "dist/stack"): ControllerBundle {
  const outfile = join(projectRoot, outDir, "fleet.cjs");
  buildSync({
    absWorkingDir: projectRoot,
    entryPoints: ["runtime/cli/bin.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    // Hosts run Debian's Node.js (18 on bookworm).
    target: "node18",
    // One file to ship: stack traces on hosts still point at the TypeScript sources.
    sourcemap: "inline",
    sourcesContent: false,
    legalComments: "none",
    logLevel: "error",
  });
  const sha256 = createHash("sha256").update(readFileSync(outfile)).digest("hex");
  return { path: outfile, sha256 };
}
