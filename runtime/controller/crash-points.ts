/**
 * Test-only crash points: named steps of provisioning and teardown where a test can make the
 * controller die, to show that a restart serves every job and leaks nothing.
 *
 * `RF_TEST_CRASH_AT=<point>[:<nth>]` in the controller's environment, read once when this module
 * loads, makes the process SIGKILL itself the nth time (default: the first) it reaches `point`.
 * Unset, as in production, `crashPoint` returns at once. Only the process environment (or a test
 * in the same process) can arm it: no request, config file or flag reaches it.
 */

export const crashPointNames = [
  /** The journal record of a new VM is on disk; nothing exists outside yet. */
  "provision:recorded",
  /** GitHub registered the JIT runner; its id is not journaled yet. */
  "provision:jit",
  /** The overlay exists (the JIT request may still be under way). */
  "provision:overlay",
  /** The JIT config is in its 0600 secret file. */
  "provision:secret",
  /** The domain is defined, not started. */
  "provision:defined",
  /** The domain is running; the record still says provisioning and the secret file is there. */
  "provision:started",
  /** The record says tearing-down, with its reason; nothing removed yet. */
  "teardown:recorded",
  /** The domain is destroyed and undefined; overlay, secret and registration are not removed yet. */
  "teardown:domain-removed",
  /** Overlay, secret and registration are gone; the history has no entry yet. */
  "teardown:cleaned",
  /** The history has its entry; the record is not removed yet. */
  "teardown:history",
] as const;

/**
 * Points of snapshot making and restoring (snapshot-store.ts, restore-start.ts). Kept apart: the
 * crash scenarios that walk every point above expect one VM per point, and these are reached only
 * while a snapshot is made or once one is ready (test/integration/controller/restore.test.ts).
 */
export const restoreCrashPointNames = [
  /** The snapshot's template domain is running (in its `.making-` directory). */
  "snapshot:started",
  /** The template is saved; its domain and directory are still there, the manifest not written. */
  "snapshot:saved",
  /** A restored VM runs; it has had no message yet (no identity, no JIT config). */
  "restore:restored",
] as const;

export type CrashPointName = (typeof crashPointNames)[number];
/** Any point `RF_TEST_CRASH_AT` can name. */
export type AnyCrashPoint = CrashPointName | (typeof restoreCrashPointNames)[number];
const allPoints: readonly AnyCrashPoint[] = [...crashPointNames, ...restoreCrashPointNames];

export interface CrashPlan {
  point: AnyCrashPoint;
  /** Crash the nth time the point is reached (1 = the first). */
  nth: number;
}

/** The plan an `RF_TEST_CRASH_AT` value asks for; undefined when unset or empty. */
export function parseCrashPlan(value: string | undefined): CrashPlan | undefined {
  if (value === undefined || value === "") return undefined;
  const match = /^([a-z]+:[a-z-]+)(?::(\d+))?$/.exec(value);
  const point = match?.[1] as AnyCrashPoint | undefined;
  const nth = match?.[2] === undefined ? 1 : Number(match[2]);
  if (point === undefined || !allPoints.includes(point) || nth < 1) {
    throw new Error(`RF_TEST_CRASH_AT: "${value}" is not <point> or <point>:<n> (n ≥ 1), with <point> one of ${allPoints.join(", ")}`);
  }
  return { point, nth };
}

/** How the process dies: by default a real SIGKILL; an in-process test freezes its controller instead. */
export type CrashAction = (point: AnyCrashPoint) => Promise<never>;

const sigkill: CrashAction = (point) => {
  process.stderr.write(`RF_TEST_CRASH_AT: SIGKILL at ${point}\n`);
  process.kill(process.pid, "SIGKILL");
  // Nothing after the point may run while the signal lands.
  return new Promise<never>(() => undefined);
};

let armed: CrashPlan | undefined = parseCrashPlan(process.env.RF_TEST_CRASH_AT);
let action: CrashAction = sigkill;
let reached = 0;

/** Marks a named step. Dies there when armed for it; otherwise returns undefined at once. */
export function crashPoint(point: AnyCrashPoint): Promise<never> | undefined {
  if (armed === undefined || armed.point !== point || ++reached < armed.nth) return undefined;
  armed = undefined;
  return action(point);
}

/** Arms (or, with undefined, disarms) the crash points in this process: for in-process tests only. */
export function armCrashPoint(plan: CrashPlan | undefined, crash: CrashAction = sigkill): void {
  armed = plan;
  action = crash;
  reached = 0;
}
