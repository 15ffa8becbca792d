/**
 * What the guard remembers between evaluations: when it last saw each controller, and when it
 * last found a trigger. Routing state itself lives on GitHub (routing-change.ts); this is only
 * observation history, kept in a small file in the state directory so a restarted loop (or a
 * `fleet guard` run from a timer) knows how long a controller has been away. Losing it is
 * harmless: offline time then counts from the next failed attempt.
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../storage/atomic-file.ts";
import type { ControllerObservation } from "./evidence.ts";

export interface GuardMemory {
  controllers: Record<string, { lastSeenAt?: number; firstFailedAt?: number }>;
  lastTriggerAt?: number;
}

export const emptyGuardMemory = (): GuardMemory => ({ controllers: {} });

/** Adds what the memory knows to this round's observations (pure). */
export function recallSightings(observations: readonly ControllerObservation[], memory: GuardMemory, now: number): ControllerObservation[] {
  return observations.map((observation) => {
    const known = memory.controllers[observation.url] ?? {};
    const out: ControllerObservation = { ...observation };
    if (known.lastSeenAt !== undefined) out.lastSeenAt = known.lastSeenAt;
    if (!observation.status) out.firstFailedAt = known.firstFailedAt ?? now;
    return out;
  });
}

/** The memory after this round (pure): seen controllers, failing ones, and the last trigger. */
export function rememberRound(memory: GuardMemory, observations: readonly ControllerObservation[], triggered: boolean, now: number): GuardMemory {
  const controllers: GuardMemory["controllers"] = {};
  for (const observation of observations) {
    const known = memory.controllers[observation.url] ?? {};
    if (observation.status) controllers[observation.url] = { lastSeenAt: now };
    else controllers[observation.url] = { ...(known.lastSeenAt !== undefined ? { lastSeenAt: known.lastSeenAt } : {}), firstFailedAt: known.firstFailedAt ?? now };
  }
  const next: GuardMemory = { controllers };
  const lastTriggerAt = triggered ? now : memory.lastTriggerAt;
  if (lastTriggerAt !== undefined) next.lastTriggerAt = lastTriggerAt;
  return next;
}

export interface GuardMemoryStore {
  load(): Promise<GuardMemory>;
  save(memory: GuardMemory): Promise<void>;
}

export function inMemoryGuardMemory(initial: GuardMemory = emptyGuardMemory()): GuardMemoryStore {
  let current = initial;
  return { load: async () => current, save: async (memory) => void (current = memory) };
}

/** The memory file. Unreadable or corrupt starts empty; a failed write is reported, not thrown. */
export function guardMemoryFile(path: string, onSaveError?: (error: unknown) => void): GuardMemoryStore {
  let cached: GuardMemory | undefined;
  return {
    async load() {
      if (cached) return cached;
      try {
        const value = JSON.parse(await readFile(path, "utf8")) as Partial<GuardMemory>;
        cached = { controllers: typeof value.controllers === "object" && value.controllers !== null ? value.controllers : {} };
        if (typeof value.lastTriggerAt === "number") cached.lastTriggerAt = value.lastTriggerAt;
      } catch {
        cached = emptyGuardMemory();
      }
      return cached;
    },
    async save(memory) {
      cached = memory;
      try {
        await writeFileAtomic(path, JSON.stringify(memory) + "\n", 0o600);
      } catch (error) {
        onSaveError?.(error);
      }
    },
  };
}
