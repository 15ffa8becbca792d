/**
 * The controller's `coordination` key: several hosts, one fleet, coordinated through PostgreSQL
 * (docs/coordination.md). Without it a host runs alone, exactly as before.
 */
import { z } from "zod";

export const coordinationConfigSchema = z
  .object({
    postgres: z
      .object({
        /** `postgres://user:password@host:port/db?sslmode=...`. A secret: never logged, redacted in errors. */
        url: z.string().regex(/^postgres(ql)?:\/\//, "expected a postgres:// or postgresql:// URL"),
        /** A claim lasts this long unless renewed; a host silent this long shows as offline. */
        leaseSeconds: z.number().int().min(5).default(30),
        /** How often a host renews its leases and writes its heartbeat. */
        heartbeatSeconds: z.number().int().min(1).default(5),
        /** Server-side limit on every statement, so a stuck database cannot hold a pass. */
        statementTimeoutMs: z.number().int().min(100).default(5000),
        poolSize: z.number().int().min(1).max(32).default(4),
      })
      .strict()
      .refine((p) => p.heartbeatSeconds * 2 <= p.leaseSeconds, {
        message: "heartbeatSeconds must be at most half of leaseSeconds, or leases lapse between renewals",
        path: ["heartbeatSeconds"],
      }),
  })
  .strict();

export type CoordinationConfig = z.output<typeof coordinationConfigSchema>;
export type PostgresCoordinationConfig = CoordinationConfig["postgres"];

/** A connection URL with its password (and any `password=` parameter) replaced, for errors and logs. */
export function redactPostgresUrl(text: string): string {
  return text
    .replace(/(postgres(?:ql)?:\/\/[^:@/\s]*:)[^@\s]*@/gi, "$1[redacted]@")
    .replace(/([?&]password=)[^&\s]*/gi, "$1[redacted]");
}
