import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordStore } from "../../../runtime/controller/record-store.ts";
import { stateDirs } from "../../../runtime/controller/naming.ts";
import type { VmRecord } from "../../../runtime/controller/vm-record.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function store(onCorrupt?: (file: string, problem: string) => void) {
  const dir = await mkdtemp(join(tmpdir(), "rf-records-"));
  dirs.push(dir);
  const records = new RecordStore(dir, onCorrupt);
  await records.init();
  return { dir, records };
}

const record = (name: string, requested: number): VmRecord => ({ name, pool: "small", phase: "booting", times: { requested } });

describe("RecordStore", () => {
  it("keeps records private, lists them oldest first, removes idempotently", async () => {
    const { dir, records } = await store();
    await records.put(record("rf-h1-small-00000002", 2));
    await records.put(record("rf-h1-small-00000001", 1));
    expect((await records.list()).map((r) => r.name)).toEqual(["rf-h1-small-00000001", "rf-h1-small-00000002"]);
    expect((await stat(stateDirs(dir).records)).mode & 0o777).toBe(0o700);
    expect((await stat(join(stateDirs(dir).records, "rf-h1-small-00000001.json"))).mode & 0o777).toBe(0o600);
    await records.remove("rf-h1-small-00000001");
    await records.remove("rf-h1-small-00000001");
    expect((await records.list()).map((r) => r.name)).toEqual(["rf-h1-small-00000002"]);
  });

  it("sets an unreadable record aside instead of failing every pass, and says so", async () => {
    const corrupt: string[] = [];
    const { dir, records } = await store((file, problem) => corrupt.push(`${file}: ${problem}`));
    await records.put(record("rf-h1-small-0000000a", 1));
    const garbage = join(stateDirs(dir).records, "rf-h1-small-0000000b.json");
    await writeFile(garbage, "{not json", { mode: 0o600 });
    await writeFile(join(stateDirs(dir).records, "rf-h1-small-0000000c.json"), JSON.stringify({ name: "x" }), { mode: 0o600 });

    expect((await records.list()).map((r) => r.name)).toEqual(["rf-h1-small-0000000a"]);
    expect(corrupt).toHaveLength(2);
    expect(corrupt[0]).toContain("rf-h1-small-0000000b.json: not JSON");
    expect((await readdir(stateDirs(dir).records)).sort()).toEqual([
      "rf-h1-small-0000000a.json",
      "rf-h1-small-0000000b.json.corrupt",
      "rf-h1-small-0000000c.json.corrupt",
    ]);
    // Set aside once: the next listing is clean.
    await records.list();
    expect(corrupt).toHaveLength(2);
  });
});
