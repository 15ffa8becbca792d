/**
 * The seed of a test file's fault rates: `RF_FAULT_SEED` when set, else a fresh one. Printed, so
 * a failing run can be repeated with the same draws.
 */
import { freshSeed } from "../../runtime/ports/random.ts";

export function faultSeed(file: string): number {
  const raw = process.env.RF_FAULT_SEED;
  if (raw !== undefined && !/^\d+$/.test(raw)) throw new Error(`RF_FAULT_SEED must be an integer from 0 to 4294967295, got "${raw}"`);
  const seed = raw === undefined ? freshSeed() : Number(raw);
  console.log(`${file}: fault seed ${seed} (RF_FAULT_SEED=${seed} repeats its draws)`);
  return seed;
}
