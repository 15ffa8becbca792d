// Bundles the TypeScript entry points with esbuild:
//   dist/fleet.cjs        the fleet CLI, controller and emulator (what the stack ships to hosts)
//   dist/guest-agent.cjs  the runner stand-in that runs inside lab VMs (Debian's Node 18)
//   dist/bench.cjs        `npm run bench`
//   action/dist/index.cjs the routing GitHub Action (committed, as Actions require)
// `--quiet` prints nothing unless the build fails (used before every `npm run fleet`).
import { build } from "esbuild";
import { existsSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const quiet = process.argv.includes("--quiet");

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  sourcemap: "linked",
  logLevel: quiet ? "error" : "info",
  absWorkingDir: root,
  legalComments: "none",
};

const entries = [
  { entryPoints: ["runtime/cli/bin.ts"], outfile: "dist/fleet.cjs", target: "node18" },
  { entryPoints: ["runtime/guest-agent/main.ts"], outfile: "dist/guest-agent.cjs", target: "node18", sourcemap: false },
  { entryPoints: ["bench/main.ts"], outfile: "dist/bench.cjs", target: "node18" },
  // preserveSymlinks: a worktree whose node_modules is a link builds the same bytes as a clone.
  { entryPoints: ["action/src/main.ts"], outfile: "action/dist/index.cjs", target: "node20", sourcemap: false, preserveSymlinks: true },
].filter((entry) => existsSync(join(root, entry.entryPoints[0])));

// fleet.cjs's metafile: the bench shows which packages the controller's bundle is made of.
const results = await Promise.all(entries.map((entry) => build({ ...common, ...entry, metafile: entry.outfile === "dist/fleet.cjs" })));
const fleet = results[entries.findIndex((entry) => entry.outfile === "dist/fleet.cjs")];
if (fleet?.metafile) writeFileSync(join(root, "dist/fleet.meta.json"), JSON.stringify(fleet.metafile));
