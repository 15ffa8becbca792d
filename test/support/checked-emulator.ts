/**
 * The emulator as the tests use it: every REST exchange goes through the OpenAPI contract
 * checker, and clients are built exactly as the controller builds them (`@octokit/rest` with
 * `@octokit/auth-app`).
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { appendFileSync } from "node:fs";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../runtime/emulator/server.ts";
import { OpenApiContract } from "./openapi-contract.ts";

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

export async function startCheckedEmulator(options: EmulatorOptions = {}, contract = new OpenApiContract()): Promise<CheckedEmulator> {
  const emulator = await startEmulator({
    ...options,
    onExchange: (exchange) => {
      contract.check(exchange);
      options.onExchange?.(exchange);
    },
  });
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

/**
 * For afterAll: the contract must hold for every exchange of the file. With CONTRACT_SUMMARY set
 * to a file path, appends this file's counts there (the closing note of issue 3 reports them).
 */
export function contractSummary(contract: OpenApiContract, file: string): { violations: string[] } {
  if (process.env.CONTRACT_SUMMARY) {
    appendFileSync(
      process.env.CONTRACT_SUMMARY,
      JSON.stringify({
        file,
        requests: contract.requestsChecked,
        responses: contract.responsesChecked,
        operations: [...contract.operations.keys()],
        statuses: [...contract.statuses],
      }) + "\n",
    );
  }
  return { violations: contract.violations.map((v) => `${v.method} ${v.path} -> ${v.status}: [${v.kind}] ${v.detail}`) };
}
