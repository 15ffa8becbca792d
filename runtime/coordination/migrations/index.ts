/**
 * The coordination schema's migrations, numbered. Each is SQL kept in a module (not a loose
 * .sql file) because the controller ships as one bundle. Never edit one that has shipped: add
 * the next number.
 */
import initial from "./001-initial.ts";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [{ version: 1, name: "initial", sql: initial }];

/** The schema version this build knows. */
export const latestSchemaVersion = migrations[migrations.length - 1]!.version;
