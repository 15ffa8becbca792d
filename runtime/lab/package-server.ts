/**
 * The lab's stand-in for a package registry (docs/caches.md), served on the emulator's runner
 * listener, the one host endpoint lab guests may reach. `GET lab-packages/index` lists
 * `<name> <sha256>` lines; `GET lab-packages/<name>.tgz` is a gzipped tar of incompressible
 * bytes. Each download pays a registry's cost: a fixed latency before the first byte, then a
 * capped rate. The server counts downloads, so a job that claims to use its cache is checked
 * against what it actually fetched.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";

export interface PackageServerOptions {
  packages: number;
  packageBytes: number;
  /** Before the first byte of each download (a registry round trip with TLS set-up). */
  latencyMs: number;
  /** Per-download transfer rate. */
  bytesPerSecond: number;
}

export const labPackageDefaults: PackageServerOptions = { packages: 60, packageBytes: 128 * 1024, latencyMs: 200, bytesPerSecond: 1024 * 1024 };

export interface PackageServer {
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
  /** Package downloads served so far (the index not counted). */
  downloads(): number;
}

export function createPackageServer(options: PackageServerOptions = labPackageDefaults): PackageServer {
  const tarballs = new Map<string, Buffer>();
  for (let i = 1; i <= options.packages; i += 1) {
    const name = `pkg-${String(i).padStart(3, "0")}`;
    tarballs.set(name, gzipSync(tar(`${name}/index.js`, pseudoRandom(name, options.packageBytes)), { level: 1 }));
  }
  const index = [...tarballs].map(([name, tgz]) => `${name} ${createHash("sha256").update(tgz).digest("hex")}\n`).join("");
  let downloads = 0;
  return {
    downloads: () => downloads,
    async handle(req, res, path) {
      if (!path.startsWith("lab-packages/")) return false;
      const file = path.slice("lab-packages/".length);
      const body = file === "index" ? Buffer.from(index) : tarballs.get(file.replace(/\.tgz$/, ""));
      if (req.method !== "GET" || body === undefined || (file !== "index" && !file.endsWith(".tgz"))) {
        res.writeHead(404).end();
        return true;
      }
      if (file !== "index") {
        downloads += 1;
        await sleep(options.latencyMs);
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
      const chunk = 16 * 1024;
      for (let at = 0; at < body.length; at += chunk) {
        res.write(body.subarray(at, at + chunk));
        if (file !== "index") await sleep((chunk / options.bytesPerSecond) * 1000);
      }
      res.end();
      return true;
    },
  };
}

/**
 * The dependency step of the lab's cache scenario, an `npm ci` stand-in: one Node process (npm is
 * one too) reads the index, takes each tarball from the cache directory when its sha256 matches
 * (npm's integrity check), else downloads it, one at a time, and saves it into the cache (a
 * read-only cache refuses that, which is ignored, as npm does), and unpacks every one into
 * node_modules. It prints how many came from where. (A shell loop was tried first: under TCG its
 * ~150 process starts cost more than the downloads, in both runs alike.)
 */
export function dependencyStep(registryUrl: string, cacheDir: string): string {
  return `node - '${registryUrl}/lab-packages' '${cacheDir}' <<'JS'\n${installer}\nJS`;
}

const installer = `
const http = require("node:http"), fs = require("node:fs"), zlib = require("node:zlib"), crypto = require("node:crypto"), path = require("node:path");
const [reg, cache] = process.argv.slice(2);
const get = (url) => new Promise((resolve, reject) => http.get(url, (res) => {
  if (res.statusCode !== 200) return reject(new Error(url + ": HTTP " + res.statusCode));
  const chunks = []; res.on("data", (c) => chunks.push(c)); res.on("end", () => resolve(Buffer.concat(chunks))); res.on("error", reject);
}).on("error", reject));
const sha = (b) => crypto.createHash("sha256").update(b).digest("hex");
function untar(buf, dir) {
  for (let at = 0; at + 512 <= buf.length; ) {
    const name = buf.toString("ascii", at, at + 100).replace(/\\0.*$/s, "");
    if (!name) break;
    const size = parseInt(buf.toString("ascii", at + 124, at + 136), 8);
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, buf.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
}
(async () => {
  let fetched = 0, cached = 0;
  for (const line of (await get(reg + "/index")).toString().trim().split("\\n")) {
    const [name, sum] = line.split(" ");
    const saved = path.join(cache, name + ".tgz");
    let tgz = fs.existsSync(saved) ? fs.readFileSync(saved) : undefined;
    if (tgz && sha(tgz) === sum) cached++;
    else {
      tgz = await get(reg + "/" + name + ".tgz"); fetched++;
      if (sha(tgz) !== sum) throw new Error("integrity check failed: " + name);
      try { fs.writeFileSync(saved, tgz); } catch {}
    }
    untar(zlib.gunzipSync(tgz), "node_modules");
  }
  console.log("dependencies: " + fetched + " fetched, " + cached + " from the cache");
})().catch((e) => { console.error(e.message); process.exit(1); });`;

/** A ustar archive of one file. */
function tar(name: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const put = (text: string, at: number, length: number) => header.write(text.slice(0, length), at, length, "ascii");
  put(name, 0, 100);
  put("0000644\0", 100, 8);
  put("0001750\0", 108, 8);
  put("0001750\0", 116, 8);
  put(`${data.length.toString(8).padStart(11, "0")}\0`, 124, 12);
  put("00000000000\0", 136, 12);
  put("        ", 148, 8);
  put("0", 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding, Buffer.alloc(1024)]);
}

/** Deterministic bytes gzip cannot shrink: a sha256 counter stream. */
function pseudoRandom(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let at = 0, n = 0; at < length; at += 32, n += 1) createHash("sha256").update(`${seed}:${n}`).digest().copy(out, at);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
