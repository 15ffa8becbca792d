/**
 * The coordinator a controller config names: PostgreSQL when `coordination.postgres` is set.
 * The daemon, the lab and the benchmarks open it here.
 */
import type { CoordinationConfig } from "../config/coordination-config.ts";
import type { Logger } from "../log/logger.ts";
import type { Coordination } from "../ports/coordination.ts";
import { latestSchemaVersion } from "./migrations/index.ts";
import { PostgresCoordination } from "./postgres-coordination.ts";

/** What a host reports as its version in heartbeats: the coordination schema it speaks. */
export const coordinationVersion = `schema-${latestSchemaVersion}`;

export function coordinationFor(config: CoordinationConfig, logger: Logger, host: string): () => Promise<Coordination> {
  return () =>
    PostgresCoordination.open(config.postgres, {
      applicationName: `runner-fleet ${host}`,
      onPoolError: (message) => logger.warn({ event: "coordination_connection_lost", err: message }, "a coordinator connection dropped"),
    });
}
