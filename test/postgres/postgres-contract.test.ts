import { afterAll, beforeAll } from "vitest";
import { PostgresCoordination } from "../../runtime/coordination/postgres-coordination.ts";
import { describeCoordinationContract } from "../contract/coordination.contract.ts";
import { startTestPostgres, testCoordinationConfig, type TestPostgres } from "../support/postgres.ts";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.server.destroy();
});

describeCoordinationContract("PostgreSQL", async () => {
  const coordination = await PostgresCoordination.open(testCoordinationConfig(await pg.freshDatabase()));
  return {
    coordination,
    leaseMs: 1000,
    pass: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    close: () => coordination.close(),
  };
});
