/**
 * Coordination on PostgreSQL: claims with `FOR UPDATE SKIP LOCKED`, leases on the database's
 * `now()`, fencing tokens that grow with every claim, heartbeats and the fleet's job history.
 * A pooled `pg` client with a statement timeout, so a stuck database cannot hold a pass.
 *
 * Every failure is a `CoordinationUnavailableError` whose message never carries the URL's
 * password; a database at a newer schema version is a `SchemaVersionError`. `pg` is loaded
 * only when coordination is configured: a single host does not pay for it.
 */
import type { Pool } from "pg";
import { redactPostgresUrl, type PostgresCoordinationConfig } from "../config/coordination-config.ts";
import {
  CoordinationUnavailableError,
  type ClaimedJob,
  type ClaimRequest,
  type Coordination,
  type FleetHistoryEntry,
  type FleetJob,
  type HistoryQuery,
  type HostFacts,
  type HostView,
  type Lease,
} from "../ports/coordination.ts";
import { migrate, SchemaVersionError } from "./migrate.ts";

type Row = Record<string, unknown>;

/** Epoch milliseconds of a timestamptz column, as a JavaScript number. */
const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;
const claimedColumns =
  `jobs.id, jobs.run_id, jobs.repository, jobs.labels, ${ms("jobs.queued_at")} AS queued_ms, ${ms("jobs.recorded_at")} AS recorded_ms, ` +
  `jobs.host, jobs.token, ${ms("jobs.lease_expires")} AS expires_ms`;

export class PostgresCoordination implements Coordination {
  /** Statements sent, for the benchmark's queries per job. */
  queries = 0;
  /** The same, by the port call that sent them (migrations under `migrate`). */
  readonly queriesByCall = new Map<string, number>();

  private constructor(
    private readonly pool: Pool,
    private readonly leaseSeconds: number,
    private readonly where: string,
  ) {}

  /** Connects, migrates the schema to this build's version, and returns the adapter. */
  static async open(
    config: PostgresCoordinationConfig,
    options: { onPoolError?: (message: string) => void; applicationName?: string } = {},
  ): Promise<PostgresCoordination> {
    const where = describeTarget(config.url);
    let pool: Pool | undefined;
    try {
      const { default: pg } = await import("pg");
      pool = new pg.Pool({
        connectionString: config.url,
        max: config.poolSize,
        statement_timeout: config.statementTimeoutMs,
        // The client's own limit, for a server that stops answering altogether.
        query_timeout: config.statementTimeoutMs + 1_000,
        connectionTimeoutMillis: config.statementTimeoutMs,
        idleTimeoutMillis: 30_000,
        application_name: options.applicationName ?? "runner-fleet",
        types: { getTypeParser: (oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as "text")) },
      });
      // An idle connection the server drops (a restart) must not crash the process.
      pool.on("error", (error) => options.onPoolError?.(redactPostgresUrl(error.message)));
      const coordination = new PostgresCoordination(pool, config.leaseSeconds, where);
      const client = await pool.connect();
      try {
        await migrate({ query: (sql, values) => coordination.count(client.query(sql, values), "migrate") });
      } finally {
        client.release();
      }
      return coordination;
    } catch (error) {
      await pool?.end().catch(() => undefined);
      if (error instanceof SchemaVersionError) throw error;
      throw unavailable(where, error);
    }
  }

  async recordQueued(jobs: readonly FleetJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.query("recordQueued", 
      `INSERT INTO jobs (id, run_id, repository, labels, queued_at)
       SELECT (j->>'id')::bigint, (j->>'runId')::bigint, j->>'repository',
              ARRAY(SELECT lower(l) FROM jsonb_array_elements_text(j->'labels') l),
              to_timestamp((j->>'queuedAt')::float8 / 1000)
       FROM jsonb_array_elements($1::jsonb) j
       ORDER BY (j->>'id')::bigint
       ON CONFLICT (id) DO NOTHING`,
      // In id order: hosts inserting overlapping batches lock rows in the same order, so they cannot deadlock.
      [JSON.stringify([...jobs].sort((a, b) => a.id - b.id).map(({ id, runId, repository, labels, queuedAt }) => ({ id, runId, repository, labels, queuedAt })))],
    );
  }

  async markTaken(jobIds: readonly number[]): Promise<void> {
    if (jobIds.length === 0) return;
    // A job heard of only once it started is remembered, so a late `queued` webhook cannot make it claimable.
    await this.query("markTaken", 
      `INSERT INTO jobs (id, run_id, repository, labels, queued_at, state)
       SELECT id, 0, '', '{}', now(), 'taken' FROM unnest($1::bigint[]) id ORDER BY id
       ON CONFLICT (id) DO UPDATE SET state = 'taken' WHERE jobs.state IN ('queued', 'claimed')`,
      [jobIds],
    );
  }

  async claim(host: string, requests: readonly ClaimRequest[]): Promise<ClaimedJob[]> {
    const claimed: ClaimedJob[] = [];
    for (const request of requests) {
      if (request.count <= 0) continue;
      // Oldest first; rows another host is claiming right now are skipped, not waited for.
      const rows = await this.query("claim", 
        `WITH picked AS (
           SELECT id FROM jobs
           WHERE (state = 'queued' OR (state = 'claimed' AND lease_expires < now()))
             AND labels <@ $2::text[]
           ORDER BY queued_at, id
           LIMIT $3
           FOR UPDATE SKIP LOCKED
         )
         UPDATE jobs SET state = 'claimed', host = $1, token = jobs.token + 1, claimed_at = now(),
                         lease_expires = now() + make_interval(secs => $4)
         FROM picked WHERE jobs.id = picked.id
         RETURNING ${claimedColumns}`,
        [host, request.labels.map((l) => l.toLowerCase()), request.count, this.leaseSeconds],
      );
      claimed.push(...rows.sort((a, b) => Number(a.queued_ms) - Number(b.queued_ms) || Number(a.id) - Number(b.id)).map(claimedJob));
    }
    return claimed;
  }

  async renew(host: string, leases: readonly Pick<Lease, "jobId" | "token">[]): Promise<{ held: Lease[]; lost: number[] }> {
    if (leases.length === 0) return { held: [], lost: [] };
    // A lease that expired but that nobody took over (the database was down) is still ours.
    const rows = await this.query("renew", 
      `UPDATE jobs SET lease_expires = now() + make_interval(secs => $4)
       FROM unnest($2::bigint[], $3::bigint[]) AS l(id, token)
       WHERE jobs.id = l.id AND jobs.token = l.token AND jobs.host = $1 AND jobs.state IN ('claimed', 'taken')
       RETURNING jobs.id, jobs.host, jobs.token, ${ms("jobs.lease_expires")} AS expires_ms`,
      [host, leases.map((l) => l.jobId), leases.map((l) => l.token), this.leaseSeconds],
    );
    const held = rows.map(leaseOf);
    const kept = new Set(held.map((l) => l.jobId));
    return { held, lost: leases.map((l) => l.jobId).filter((id) => !kept.has(id)) };
  }

  async checkLease(host: string, jobId: number, token: number): Promise<boolean> {
    const rows = await this.query("checkLease", 
      "SELECT 1 FROM jobs WHERE id = $1 AND host = $2 AND token = $3 AND state = 'claimed' AND lease_expires > now()",
      [jobId, host, token],
    );
    return rows.length === 1;
  }

  async release(host: string, jobId: number, token: number): Promise<void> {
    await this.query("release", 
      "UPDATE jobs SET state = 'queued', host = NULL, lease_expires = NULL WHERE id = $1 AND host = $2 AND token = $3 AND state = 'claimed'",
      [jobId, host, token],
    );
  }

  async complete(entry: FleetHistoryEntry, lease?: Pick<Lease, "jobId" | "token">): Promise<void> {
    await this.query("complete", 
      `WITH done AS (
         UPDATE jobs SET state = 'done' WHERE id = $11 AND token = $12 AND host = $1 RETURNING id
       )
       INSERT INTO job_history (host, name, pool, job_id, repository, outcome, reason, detail, times, ended_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, to_timestamp($10::float8 / 1000))
       ON CONFLICT (host, name) DO NOTHING`,
      [
        entry.host,
        entry.name,
        entry.pool,
        entry.jobId ?? null,
        entry.repository ?? null,
        entry.outcome,
        entry.reason,
        entry.detail,
        JSON.stringify(entry.times),
        entry.endedAt,
        lease?.jobId ?? null,
        lease?.token ?? null,
      ],
    );
  }

  async heartbeat(facts: HostFacts): Promise<void> {
    await this.query("heartbeat", 
      `INSERT INTO hosts (name, facts, seen_at) VALUES ($1, $2::jsonb, now())
       ON CONFLICT (name) DO UPDATE SET facts = excluded.facts, seen_at = now()`,
      [facts.host, JSON.stringify(facts)],
    );
  }

  async hosts(): Promise<HostView[]> {
    const rows = await this.query("hosts", 
      `SELECT facts, ${ms("seen_at")} AS seen_ms, seen_at > now() - make_interval(secs => $1) AS online FROM hosts ORDER BY name`,
      [this.leaseSeconds],
    );
    return rows.map((row) => ({ ...(row.facts as HostFacts), seenAt: Number(row.seen_ms), online: row.online === true }));
  }

  async history(query: HistoryQuery = {}): Promise<FleetHistoryEntry[]> {
    const rows = await this.query("history", 
      `SELECT host, name, pool, job_id, repository, outcome, reason, detail, times, ${ms("ended_at")} AS ended_ms
       FROM job_history
       WHERE ($1::float8 IS NULL OR ended_at >= to_timestamp($1::float8 / 1000)) AND ($2::text IS NULL OR host = $2)
       ORDER BY ended_at DESC, host, name LIMIT $3`,
      [query.since ?? null, query.host ?? null, query.limit ?? 100],
    );
    return rows.map(historyEntry);
  }

  async close(): Promise<void> {
    if (this.pool.ended) return;
    await this.pool.end();
  }

  private async query(call: keyof Coordination, sql: string, values: unknown[]): Promise<Row[]> {
    try {
      return (await this.count(this.pool.query(sql, values), call)).rows;
    } catch (error) {
      throw unavailable(this.where, error);
    }
  }

  private count<T>(query: Promise<T>, call: string): Promise<T> {
    this.queries++;
    this.queriesByCall.set(call, (this.queriesByCall.get(call) ?? 0) + 1);
    return query;
  }
}

/** `host:port/database` of a URL, for messages: never its credentials. */
function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ""}${parsed.pathname}`;
  } catch {
    return "(unparseable postgres URL)";
  }
}

function unavailable(where: string, error: unknown): CoordinationUnavailableError {
  const message = error instanceof Error ? error.message : String(error);
  return new CoordinationUnavailableError(`coordination database ${where}: ${redactPostgresUrl(message)}`, { cause: error });
}

function leaseOf(row: Row): Lease {
  return { jobId: Number(row.id), host: String(row.host), token: Number(row.token), expiresAt: Number(row.expires_ms) };
}

function claimedJob(row: Row): ClaimedJob {
  return {
    id: Number(row.id),
    runId: Number(row.run_id),
    repository: String(row.repository),
    labels: row.labels as string[],
    queuedAt: Number(row.queued_ms),
    recordedAt: Number(row.recorded_ms),
    lease: leaseOf(row),
  };
}

function historyEntry(row: Row): FleetHistoryEntry {
  const entry: FleetHistoryEntry = {
    host: String(row.host),
    name: String(row.name),
    pool: String(row.pool),
    outcome: String(row.outcome),
    reason: String(row.reason),
    detail: String(row.detail),
    times: row.times as FleetHistoryEntry["times"],
    endedAt: Number(row.ended_ms),
  };
  if (row.job_id !== null) entry.jobId = Number(row.job_id);
  if (row.repository !== null) entry.repository = String(row.repository);
  return entry;
}
