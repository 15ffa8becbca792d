/** Randomness behind a port, so a run that draws numbers (fault rates) can be replayed from its seed. */
export type Random = () => number;

/** A seed for `seededRandom`, drawn when the caller gave none (so it can be printed and reused). */
export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

/**
 * mulberry32: a small, fast 32-bit generator, uniform in [0, 1). Not for secrets: only for
 * choices a test must be able to repeat.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
