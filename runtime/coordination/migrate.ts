/**
 * Brings the coordination schema up to this build's version, in one transaction under an
 * advisory lock (hosts starting together migrate once). A database at a newer version than
 * this build knows is refused: an older controller must not write to a schema it does not know.
 */
import { latestSchemaVersion, migrations, type Migration } from "./migrations/index.ts";

export interface SqlClient {
  query(sql: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export class SchemaVersionError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `the coordination database has schema version ${found}, newer than this controller knows (${known}): ` +
        "upgrade this controller to the version the rest of the fleet runs",
    );
    this.name = "SchemaVersionError";
  }
}

/** Arbitrary, fixed: the advisory lock that serializes migrations. */
const migrationLock = 0x72665f63;

export async function migrate(client: SqlClient, list: readonly Migration[] = migrations): Promise<{ from: number; to: number }> {
  const known = list.length === 0 ? 0 : list[list.length - 1]!.version;
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [migrationLock]);
    await client.query("CREATE TABLE IF NOT EXISTS schema_version (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const { rows } = await client.query("SELECT coalesce(max(version), 0)::int AS version FROM schema_version");
    const from = Number(rows[0]!.version);
    if (from > known) throw new SchemaVersionError(from, known);
    for (const migration of list) {
      if (migration.version <= from) continue;
      await client.query(migration.sql);
      await client.query("INSERT INTO schema_version (version) VALUES ($1)", [migration.version]);
    }
    await client.query("COMMIT");
    return { from, to: Math.max(from, known) };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

export { latestSchemaVersion };
