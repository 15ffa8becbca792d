import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { controllerOfflineTrigger } from "../../../runtime/guard/controller-offline.ts";
import { guardMemoryFile, recallSightings, rememberRound, emptyGuardMemory } from "../../../runtime/guard/guard-memory.ts";
import { minute, status, t0 } from "./fixtures.ts";

describe("guard memory", () => {
  it("remembers when a controller was last seen, so its offline time survives rounds", () => {
    const url = "http://h2:8080";
    let memory = rememberRound(emptyGuardMemory(), [{ url, status: status({ host: "h2", now: t0 }) }], false, t0);
    expect(memory.controllers[url]).toEqual({ lastSeenAt: t0 });
    const first = recallSightings([{ url, error: "ECONNREFUSED" }], memory, t0 + minute);
    expect(first[0]).toMatchObject({ lastSeenAt: t0, firstFailedAt: t0 + minute });
    memory = rememberRound(memory, first, false, t0 + minute);
    const later = recallSightings([{ url, error: "ECONNREFUSED" }], memory, t0 + 11 * minute);
    expect(controllerOfflineTrigger(later, { now: t0 + 11 * minute, limitMinutes: 10 })).toBeDefined();
    expect(rememberRound(memory, [{ url, status: status({ host: "h2", now: t0 + 12 * minute }) }], false, t0 + 12 * minute).controllers[url]).toEqual({ lastSeenAt: t0 + 12 * minute });
  });

  it("keeps the time of the last trigger until a newer one", () => {
    const memory = rememberRound(emptyGuardMemory(), [], true, t0);
    expect(memory.lastTriggerAt).toBe(t0);
    expect(rememberRound(memory, [], false, t0 + minute).lastTriggerAt).toBe(t0);
    expect(rememberRound(memory, [], true, t0 + minute).lastTriggerAt).toBe(t0 + minute);
  });

  it("persists in a private file, starts empty from a missing or corrupt one, and reports a failed write", async () => {
    const dir = await mkdtemp(join(tmpdir(), "guard-memory-"));
    try {
      const path = join(dir, "guard-memory.json");
      expect(await guardMemoryFile(path).load()).toEqual(emptyGuardMemory());
      await guardMemoryFile(path).save({ controllers: { x: { lastSeenAt: 5 } }, lastTriggerAt: 7 });
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await guardMemoryFile(path).load()).toEqual({ controllers: { x: { lastSeenAt: 5 } }, lastTriggerAt: 7 });
      await writeFile(path, "{torn");
      expect(await guardMemoryFile(path).load()).toEqual(emptyGuardMemory());
      const errors: unknown[] = [];
      await guardMemoryFile(join(dir, "missing-dir", "m.json"), (e) => errors.push(e)).save(emptyGuardMemory());
      expect(errors).toHaveLength(1);
      expect(await readFile(path, "utf8")).toBe("{torn");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
