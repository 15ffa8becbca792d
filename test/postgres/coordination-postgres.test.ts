/**
 * What only a real PostgreSQL can show: migrations and a newer schema, a bad URL, a database
 * restart in the middle of a burst, and five hosts claiming 200 jobs at once.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresCoordination } from "../../runtime/coordination/postgres-coordination.ts";
import { SchemaVersionError, latestSchemaVersion } from "../../runtime/coordination/migrate.ts";
import { CoordinationUnavailableError, type ClaimRequest } from "../../runtime/ports/coordination.ts";
import { seededRandom, type Random } from "../../runtime/ports/random.ts";
import { job } from "../contract/coordination.contract.ts";
import { startTestPostgres, testCoordinationConfig, type TestPostgres } from "../support/postgres.ts";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.server.destroy();
});

const linux: ClaimRequest[] = [{ labels: ["self-hosted", "linux"], count: 100 }];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("schema", () => {
  it("migrates a new database once, however many hosts start together", async () => {
    const url = await pg.freshDatabase();
    const hosts = await Promise.all(Array.from({ length: 5 }, () => PostgresCoordination.open(testCoordinationConfig(url))));
    await Promise.all(hosts.map((h) => h.close()));
    expect(await pg.sql(url, "SELECT version FROM schema_version ORDER BY version")).toEqual(
      Array.from({ length: latestSchemaVersion }, (_, i) => ({ version: i + 1 })),
    );
    const tables = await pg.sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(tables.map((t) => t.tablename)).toEqual(["hosts", "job_history", "jobs", "schema_version"]);
  });

  it("refuses a database at a newer schema version, by name, and changes nothing", async () => {
    const url = await pg.freshDatabase();
    await (await PostgresCoordination.open(testCoordinationConfig(url))).close();
    await pg.sql(url, "INSERT INTO schema_version (version) VALUES ($1)", [latestSchemaVersion + 1]);
    const opening = PostgresCoordination.open(testCoordinationConfig(url));
    await expect(opening).rejects.toBeInstanceOf(SchemaVersionError);
    await expect(opening).rejects.toThrow(
      `the coordination database has schema version ${latestSchemaVersion + 1}, newer than this controller knows (${latestSchemaVersion}): upgrade this controller`,
    );
    expect((await pg.sql(url, "SELECT max(version)::int AS v FROM schema_version"))[0]!.v).toBe(latestSchemaVersion + 1);
  });
});

describe("a bad postgresUrl", () => {
  it.each([
    ["a wrong password", (url: string) => url.replace(/:[^:@/]+@/, ":not-the-password@"), /password authentication failed/],
    ["nothing listening", (url: string) => url.replace(/:\d+\//, ":1/"), /ECONNREFUSED|connect/],
    ["no such database", (url: string) => url.replace(/\/[^/]+$/, "/nope"), /database "nope" does not exist/],
  ])("%s: a named error that says where, never the password", async (_what, spoil, reason) => {
    const url = spoil(pg.server.url);
    const password = new URL(url).password;
    const started = Date.now();
    const error = await PostgresCoordination.open(testCoordinationConfig(url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoordinationUnavailableError);
    const message = (error as Error).message;
    expect(message).toMatch(/^coordination database 127\.0\.0\.1:\d+\/\w+: /);
    expect(message).toMatch(reason);
    expect(message).not.toContain(password);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("a database restart in the middle of a burst", () => {
  it("makes no claims while down, recovers by itself with the same pool, and loses nothing", async () => {
    const url = await pg.freshDatabase();
    const [a, b] = await Promise.all([1, 2].map(() => PostgresCoordination.open(testCoordinationConfig(url, { leaseSeconds: 30 }))));
    const errors: string[] = [];
    try {
      await a!.recordQueued(Array.from({ length: 20 }, (_, i) => job(i + 1)));
      const before = await a!.claim("h1", [{ labels: ["self-hosted", "linux"], count: 6 }]);
      await pg.server.stop();
      await expect(b!.claim("h2", linux)).rejects.toBeInstanceOf(CoordinationUnavailableError);
      await expect(a!.renew("h1", before.map((j) => j.lease))).rejects.toBeInstanceOf(CoordinationUnavailableError);
      await expect(b!.recordQueued([job(21)])).rejects.toThrow(/^coordination database/);
      await pg.server.start();
      // The pools reconnect on their own: the next calls simply work.
      const renewed = await retry(() => a!.renew("h1", before.map((j) => j.lease)), errors);
      expect(renewed.lost).toEqual([]);
      await b!.recordQueued([job(21)]);
      const after = await b!.claim("h2", linux);
      const all = [...before, ...after].map((j) => j.id).sort((x, y) => x - y);
      expect(all).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });
});

/** Calls `work` until it succeeds (at most 10 s); a freshly restarted server may refuse the first connection. */
async function retry<T>(work: () => Promise<T>, errors: string[]): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      errors.push((error as Error).message);
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

describe("five hosts claiming 200 jobs at once", () => {
  /**
   * Each host loops: claim a few jobs; for each, after a random delay (sometimes longer than a
   * lease: a stalled host), check its lease and only then "start a VM" for it. Some provisions
   * fail and release the job; one host dies mid-burst and leaves its claims to expire. The
   * property: every job gets exactly one VM, and no host starts a VM for a job it lost.
   */
  it("gives every job exactly one VM", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 }), async (seed) => {
        const url = await pg.freshDatabase();
        const hosts = await Promise.all(
          ["h1", "h2", "h3", "h4", "h5"].map(async (name) => ({ name, c: await PostgresCoordination.open(testCoordinationConfig(url)) })),
        );
        const random = seededRandom(seed);
        const vms = new Map<number, string[]>();
        try {
          const jobs = Array.from({ length: 200 }, (_, i) => job(i + 1, random() < 0.5 ? ["self-hosted", "linux"] : ["self-hosted"]));
          // Every host hears of every job, in its own order and batches (webhooks and polls).
          await Promise.all(hosts.map(({ c }) => recordInBatches(c, shuffle(jobs, random), random)));
          const doomed = hosts[Math.floor(random() * hosts.length)]!.name;
          await Promise.all(hosts.map((host) => runHost(host, random, vms, host.name === doomed, 200)));
        } finally {
          await Promise.all(hosts.map(({ c }) => c.close()));
        }
        const counts = Array.from({ length: 200 }, (_, i) => vms.get(i + 1)?.length ?? 0);
        expect(counts.filter((n) => n !== 1), `seed ${seed}`).toEqual([]);
      }),
      { numRuns: 3, seed: Number(process.env.RF_COORD_SEED ?? Date.now() % 2 ** 31) },
    );
  }, 180_000);
});

async function recordInBatches(c: PostgresCoordination, jobs: ReturnType<typeof job>[], random: Random): Promise<void> {
  for (let i = 0; i < jobs.length; ) {
    const size = 1 + Math.floor(random() * 40);
    await c.recordQueued(jobs.slice(i, i + size));
    i += size;
  }
}

async function runHost(
  host: { name: string; c: PostgresCoordination },
  random: Random,
  vms: Map<number, string[]>,
  dies: boolean,
  total: number,
): Promise<void> {
  const { name, c } = host;
  const deadline = Date.now() + 60_000;
  let rounds = 0;
  while (Date.now() < deadline) {
    const served = [...vms.values()].filter((v) => v.length > 0).length;
    if (served >= total) return;
    const claimed = await c.claim(name, [
      { labels: ["self-hosted", "linux"], count: Math.floor(random() * 6) },
      { labels: ["self-hosted"], count: Math.floor(random() * 6) },
    ]);
    rounds++;
    // The doomed host dies after its third claim: its claims are left to expire.
    if (dies && rounds === 3) return;
    await Promise.all(
      claimed.map(async (j) => {
        const stalled = random() < 0.03;
        await sleep(stalled ? 1_300 : Math.floor(random() * 30));
        // Fencing: check the lease just before the VM starts.
        if (!(await c.checkLease(name, j.id, j.lease.token))) return;
        if (random() < 0.1) {
          await c.release(name, j.id, j.lease.token);
          return;
        }
        vms.set(j.id, [...(vms.get(j.id) ?? []), name]);
        // The VM takes the job: GitHub says so, and no host may claim it again.
        await c.markTaken([j.id]);
      }),
    );
    await sleep(Math.floor(random() * 20));
  }
}

function shuffle<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const k = Math.floor(random() * (i + 1));
    [out[i], out[k]] = [out[k]!, out[i]!];
  }
  return out;
}
