/**
 * Structured JSON logs (pino). Secrets are redacted by key wherever they appear, as a second
 * line of defence: the first is never passing them to the logger at all.
 */
import pino, { type Logger, type DestinationStream } from "pino";

export type { Logger };

export const redactedKeys = [
  "encodedJitConfig",
  "encoded_jit_config",
  "jitConfig",
  "token",
  "privateKey",
  "secret",
  "adminToken",
  "authorization",
  "password",
];

export function createLogger(options: { name: string; level?: string; destination?: DestinationStream }): Logger {
  const paths = redactedKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    {
      name: options.name,
      level: options.level ?? process.env.FLEET_LOG_LEVEL ?? "info",
      redact: { paths, censor: "[redacted]" },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}
