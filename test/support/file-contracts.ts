/**
 * The OpenAPI checkers of the running test file: checked-emulator.ts adds each one it makes, and
 * openapi-check-setup.ts takes them when the file ends. Its own module, so the setup file (which
 * runs in every test file) loads nothing heavy.
 */
import type { OpenApiContract } from "../../runtime/emulator/openapi-check/openapi-contract.ts";

export const fileContracts = new Set<OpenApiContract>();
