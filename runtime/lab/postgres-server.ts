/**
 * A private PostgreSQL server from Debian's binaries, for the tests and the multi-host lab:
 * `initdb` in a temporary directory owned by `postgres`, its own port, a password of its own,
 * never the system cluster. The password reaches initdb through a 0600 file, never argv.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chown, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const defaultPostgresBinDir = "/usr/lib/postgresql/15/bin";

export interface PostgresServerOptions {
  /** Directory of initdb, pg_ctl and postgres (default Debian's PostgreSQL 15). */
  binDir?: string;
  /** Address to listen on (default 127.0.0.1). The lab passes its bridge address. */
  listen?: string;
  /** Port (default: a free one). */
  port?: number;
  /** Networks allowed to connect with the password (default: the listen address only). */
  allow?: readonly string[];
  /** Parent of the data directory (default the system temp directory). */
  parentDir?: string;
}

export interface PostgresServer {
  /** `postgres://fleet:<password>@<listen>:<port>/runner_fleet`: a secret. */
  url: string;
  host: string;
  port: number;
  dataDir: string;
  /** Stops the server (fast shutdown: open connections are cut); the data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops the server and removes its data. */
  destroy(): Promise<void>;
}

const user = "fleet";
const database = "runner_fleet";

export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const binDir = options.binDir ?? defaultPostgresBinDir;
  const host = options.listen ?? "127.0.0.1";
  const port = options.port ?? (await freePort(host));
  const root = await mkdtemp(join(options.parentDir ?? tmpdir(), "runner-fleet-pg-"));
  const dataDir = join(root, "data");
  const password = randomBytes(18).toString("hex");
  const { uid, gid } = await postgresUser();
  await chown(root, uid, gid);
  const pwfile = join(root, "pwfile");
  await writeFile(pwfile, password + "\n", { mode: 0o600 });
  await chown(pwfile, uid, gid);
  const asPostgres = (tool: string, args: string[]) =>
    run("runuser", ["-u", "postgres", "--", join(binDir, tool), ...args], { cwd: root }).catch((error: unknown) => {
      throw new Error(`${tool} failed: ${commandError(error)}`);
    });
  try {
    await asPostgres("initdb", ["-D", dataDir, "-U", user, "--pwfile", pwfile, "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-instructions"]);
    await rm(pwfile, { force: true });
    const allow = options.allow ?? [`${host}/32`];
    const hba = ["local all all trust", ...allow.map((net) => `host all all ${net} scram-sha-256`)].join("\n") + "\n";
    await writeFile(join(dataDir, "pg_hba.conf"), hba, { mode: 0o600 });
    await chown(join(dataDir, "pg_hba.conf"), uid, gid);
    const settings = [
      `listen_addresses = '${host}'`,
      `port = ${port}`,
      `unix_socket_directories = '${root}'`,
      "fsync = off",
      "max_connections = 200",
    ];
    const conf = join(dataDir, "postgresql.conf");
    await writeFile(conf, (await readFile(conf, "utf8")) + "\n" + settings.join("\n") + "\n");
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  const logFile = join(root, "server.log");
  const server: PostgresServer = {
    url: `postgres://${user}:${password}@${host}:${port}/${database}`,
    host,
    port,
    dataDir,
    start: async () => {
      await asPostgres("pg_ctl", ["-D", dataDir, "-l", logFile, "-w", "-t", "60", "start"]);
    },
    stop: async () => {
      await asPostgres("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"]);
    },
    destroy: async () => {
      await server.stop().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
    await asPostgres("createdb", ["-h", root, "-p", String(port), "-U", user, database]);
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile("/etc/passwd", "utf8");
  const line = passwd.split("\n").find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("no user postgres: install PostgreSQL (apt-get install postgresql)");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function commandError(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(error)).slice(0, 2000);
}
