/**
 * The emulator as the tests use it: every REST exchange goes through the OpenAPI contract
 * checker, and clients are built exactly as the controller builds them (`@octokit/rest` with
 * `@octokit/auth-app`). Every checker made here is registered for its test file:
 * openapi-check-setup.ts asserts at the end of the file that none has violations, and records
 * its counts for the run's report.
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { withOpenApiCheck } from "../../runtime/emulator/openapi-check/checked-options.ts";
import { OpenApiContract } from "../../runtime/emulator/openapi-check/openapi-contract.ts";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../runtime/emulator/server.ts";
import { fileContracts } from "./file-contracts.ts";

/** Octokit logs failed requests to the console; tests assert on them instead. */
export const quietLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export interface CheckedEmulator {
  emulator: Emulator;
  contract: OpenApiContract;
  /** Authenticated as the app (JWT), e.g. for installation lookups. */
  appClient(): Octokit;
  /** Authenticated as the app's installation on `account` (installation token). */
  installationClient(account: string, options?: { prefix?: boolean }): Octokit;
  close(): Promise<void>;
}

/** Emulator options whose exchanges `contract` checks, registered for this test file. */
export function checked(options: EmulatorOptions = {}, contract = new OpenApiContract()): EmulatorOptions {
  fileContracts.add(contract);
  return withOpenApiCheck(options, contract);
}

/** `startEmulator`, checked. */
export async function startEmulatorChecked(options: EmulatorOptions = {}, contract = new OpenApiContract()): Promise<Emulator> {
  return startEmulator(checked(options, contract));
}

export async function startCheckedEmulator(options: EmulatorOptions = {}, contract = new OpenApiContract()): Promise<CheckedEmulator> {
  const emulator = await startEmulatorChecked(options, contract);
  const privateKey = emulator.app.privateKey!;
  return {
    emulator,
    contract,
    appClient: () => new Octokit({ baseUrl: `${emulator.url}/api/v3`, log: quietLog, authStrategy: createAppAuth, auth: { appId: emulator.app.id, privateKey } }),
    installationClient: (account, clientOptions = {}) =>
      new Octokit({
        baseUrl: clientOptions.prefix === false ? emulator.url : `${emulator.url}/api/v3`,
        log: quietLog,
        authStrategy: createAppAuth,
        auth: { appId: emulator.app.id, privateKey, installationId: emulator.app.installationId(account) },
      }),
    close: () => emulator.close(),
  };
}
