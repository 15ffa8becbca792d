import { describe, expect, it } from "vitest";
import { backoffCapMs, backoffUntil, consecutiveFailures } from "../../../runtime/controller/retry-policy.ts";
import type { HistoryEntry, TeardownReason } from "../../../runtime/controller/vm-record.ts";

const entry = (pool: string, reason: TeardownReason, at: number): HistoryEntry => ({
  name: `n${at}`,
  pool,
  outcome: reason === "completed" ? "success" : "lost",
  reason,
  detail: "",
  times: { requested: at - 10, tornDown: at },
});

describe("retry policy", () => {
  it("counts failures at the end of a pool's history; success resets", () => {
    const history = [entry("a", "boot_timeout", 1), entry("a", "completed", 2), entry("b", "jit_error", 3), entry("a", "start_error", 4), entry("a", "boot_failed", 5)];
    expect(consecutiveFailures(history, "a")).toEqual({ count: 2, lastAt: 5 });
    expect(consecutiveFailures(history, "b")).toEqual({ count: 1, lastAt: 3 });
    expect(consecutiveFailures(history, "c")).toEqual({ count: 0 });
    // A provision cut short by a controller crash neither counts nor resets.
    expect(consecutiveFailures([entry("a", "boot_timeout", 1), entry("a", "interrupted", 2), entry("a", "interrupted", 3)], "a")).toEqual({ count: 1, lastAt: 1 });
    // Scale-downs are not failures.
    expect(consecutiveFailures([entry("a", "jit_error", 1), entry("a", "scale_down", 2)], "a").count).toBe(0);
  });

  it("backs off exponentially from the last failure, capped", () => {
    expect(backoffUntil({ count: 0 }, 0)).toBeUndefined();
    expect(backoffUntil({ count: 1, lastAt: 1000 }, 1000)).toBe(6000);
    expect(backoffUntil({ count: 3, lastAt: 1000 }, 1000)).toBe(21_000);
    expect(backoffUntil({ count: 3, lastAt: 1000 }, 21_000)).toBeUndefined();
    expect(backoffUntil({ count: 40, lastAt: 0 }, 1)).toBe(backoffCapMs);
  });
});
