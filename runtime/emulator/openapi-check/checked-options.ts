/**
 * The one way harnesses and the bench start a checked emulator: every REST exchange goes through
 * the OpenAPI contract checker before any listener of the caller's own.
 */
import type { EmulatorOptions } from "../server.ts";
import type { OpenApiContract } from "./openapi-contract.ts";

export function withOpenApiCheck(options: EmulatorOptions, contract: OpenApiContract): EmulatorOptions {
  return {
    ...options,
    onExchange: (exchange) => {
      contract.check(exchange);
      options.onExchange?.(exchange);
    },
  };
}
