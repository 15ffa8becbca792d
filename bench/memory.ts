/**
 * Where the controller's memory goes: resident set from /proc (anonymous, and file-backed pages
 * such as the node binary's code, which every node process maps), the V8 heap and external
 * memory from its own metrics, the bundle's size by package, and what loading each heavy
 * dependency costs a fresh node process.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ProcMemory {
  rss: number;
  anon: number;
  file: number;
}

export async function readProcMemory(pid: number): Promise<ProcMemory | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
    const memory = { rss: kib("VmRSS"), anon: kib("RssAnon"), file: kib("RssFile") };
    return Number.isFinite(memory.rss) ? memory : undefined;
  } catch {
    return undefined;
  }
}

export interface HeapMemory {
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** The V8 figures from the controller's `/metrics` (prom-client's process metrics). */
export function parseHeapMetrics(metrics: string): HeapMemory | undefined {
  const value = (name: string) => Number(new RegExp(`^runner_fleet_controller_${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(metrics)?.[1] ?? NaN);
  const heap = { heapUsed: value("nodejs_heap_size_used_bytes"), heapTotal: value("nodejs_heap_size_total_bytes"), external: value("nodejs_external_memory_bytes") };
  return Object.values(heap).every(Number.isFinite) ? heap : undefined;
}

export interface BundleShare {
  name: string;
  bytes: number;
}

/** The bundle's bytes by package (or our own top folder), from the metafile scripts/build.mjs writes. */
export async function bundleShares(metafile: string): Promise<{ modules: number; bytes: number; shares: BundleShare[] } | undefined> {
  try {
    const meta = JSON.parse(await readFile(metafile, "utf8")) as { outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }> };
    const output = Object.entries(meta.outputs).find(([path]) => path.endsWith("fleet.cjs"))?.[1];
    if (!output) return undefined;
    const by = new Map<string, number>();
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split("/").slice(0, 2).join("/");
      by.set(key, (by.get(key) ?? 0) + bytesInOutput);
    }
    const shares = [...by].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
    return { modules: Object.keys(output.inputs).length, bytes: output.bytes, shares };
  } catch {
    return undefined;
  }
}

export interface LoadCost {
  what: string;
  /** Anonymous resident memory added, after a full GC. */
  anonBytes: number;
  heapUsedBytes: number;
}

/** The dependencies the controller loads, each measured by requiring it in a fresh node process. */
const loads: { what: string; requires: string[] }[] = [
  { what: "zod (config validation)", requires: ["zod"] },
  { what: "pino (logs)", requires: ["pino"] },
  { what: "prom-client (metrics)", requires: ["prom-client"] },
  { what: "octokit (rest, auth-app, throttling, retry)", requires: ["@octokit/rest", "@octokit/auth-app", "@octokit/plugin-throttling", "@octokit/plugin-retry"] },
];

const probe = `
const fs = require("fs");
const anon = () => Number(/RssAnon:\\s+(\\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))[1]) * 1024;
const steps = JSON.parse(process.argv[1]);
const out = [];
for (const step of steps) {
  global.gc(); const a = anon(); const h = process.memoryUsage().heapUsed;
  for (const id of step.requires) require(require.resolve(id, { paths: [process.cwd()] }));
  global.gc(); out.push({ what: step.what, anonBytes: anon() - a, heapUsedBytes: process.memoryUsage().heapUsed - h });
}
process.stdout.write(JSON.stringify(out));
`;

/** Each dependency's cost, loaded in this order into one fresh process (shared dependencies count once). */
export async function dependencyCosts(cwd: string): Promise<LoadCost[]> {
  const { stdout } = await run(process.execPath, ["--expose-gc", "-e", probe, JSON.stringify(loads)], { cwd });
  return JSON.parse(stdout) as LoadCost[];
}
