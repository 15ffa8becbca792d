/**
 * The drain flag is a file, not a variable, so a drained host stays drained across controller
 * restarts. Its content is the ISO time draining began (the grace period counts from it).
 */
import { readFile, rm } from "node:fs/promises";
import { writeFileAtomic } from "../storage/atomic-file.ts";
import { stateDirs } from "./naming.ts";

export async function readDrainFlag(stateDir: string): Promise<number | undefined> {
  try {
    const since = Date.parse((await readFile(stateDirs(stateDir).drainFlag, "utf8")).trim());
    return Number.isNaN(since) ? 0 : since;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Starts draining (keeps the original start time if already draining). */
export async function setDrainFlag(stateDir: string, now: number): Promise<number> {
  const existing = await readDrainFlag(stateDir);
  if (existing !== undefined) return existing;
  await writeFileAtomic(stateDirs(stateDir).drainFlag, new Date(now).toISOString() + "\n", 0o644);
  return now;
}

export async function clearDrainFlag(stateDir: string): Promise<void> {
  await rm(stateDirs(stateDir).drainFlag, { force: true });
}
