import { describe, expect, it } from "vitest";
import { formatRoutingChange, parseRoutingChange, type RoutingChange } from "../../../runtime/guard/routing-change.ts";
import { t0 } from "./fixtures.ts";

const change: RoutingChange = {
  value: "false",
  reason: "host h1: the last 2 runner boots failed",
  triggers: [{ kind: "boot-failures", message: "host h1: the last 2 runner boots failed" }],
  at: t0,
  by: "guard on h1",
  source: "guard",
  autoRestore: "allowed",
};

describe("routing change record", () => {
  it("round-trips through the variable's text", () => {
    const text = formatRoutingChange(change);
    expect(JSON.parse(text)).toMatchObject({ value: "false", at: "2026-03-01T12:00:00.000Z", source: "guard" });
    expect(parseRoutingChange(text)).toEqual(change);
  });

  it("keeps the record small whatever the messages say", () => {
    const text = formatRoutingChange({ ...change, reason: "x".repeat(100_000), triggers: [{ kind: "route-mismatch", message: "y".repeat(100_000) }] });
    expect(text.length).toBeLessThan(4_000);
  });

  it("reports a record it cannot read instead of trusting it, and treats absence as no record", () => {
    expect(parseRoutingChange(undefined)).toBeUndefined();
    expect(parseRoutingChange("")).toBeUndefined();
    expect(parseRoutingChange("not json")).toEqual({ invalid: "not JSON" });
    expect(parseRoutingChange(JSON.stringify({ ...JSON.parse(formatRoutingChange(change)), value: "maybe" }))).toMatchObject({ invalid: expect.stringContaining("value") });
    expect(parseRoutingChange(JSON.stringify({ ...JSON.parse(formatRoutingChange(change)), at: "yesterday" }))).toMatchObject({ invalid: expect.stringContaining("at") });
  });
});
