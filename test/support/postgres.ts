/**
 * A private PostgreSQL server per test file (runtime/lab/postgres-server.ts), and a fresh
 * database per test, so tests share nothing but the server.
 */
import pg from "pg";
import { startPostgresServer, type PostgresServer } from "../../runtime/lab/postgres-server.ts";
import type { PostgresCoordinationConfig } from "../../runtime/config/coordination-config.ts";

export interface TestPostgres {
  server: PostgresServer;
  /** A new, empty database on the server; returns its URL. */
  freshDatabase(): Promise<string>;
  /** Runs SQL on the database of `url` as the server's owner. */
  sql(url: string, text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
}

let counter = 0;

export async function startTestPostgres(): Promise<TestPostgres> {
  const server = await startPostgresServer();
  return {
    server,
    freshDatabase: async () => {
      const name = `t${process.pid}_${++counter}`;
      await withClient(server.url, (client) => client.query(`CREATE DATABASE ${name}`));
      return server.url.replace(/\/[^/]+$/, `/${name}`);
    },
    sql: (url, text, values) => withClient(url, async (client) => (await client.query(text, values)).rows),
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Coordination settings for tests: short leases so expiry takes a second, not thirty. */
export function testCoordinationConfig(url: string, overrides: Partial<PostgresCoordinationConfig> = {}): PostgresCoordinationConfig {
  return { url, leaseSeconds: 1, heartbeatSeconds: 1, statementTimeoutMs: 2000, poolSize: 4, ...overrides };
}
