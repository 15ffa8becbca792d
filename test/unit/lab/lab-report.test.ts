import { describe, expect, it } from "vitest";
import { formatOffset, renderJobTable, renderSummary, type JobRow } from "../../../runtime/lab/lab-report.ts";

const row = (job: string, warm: boolean, firstStepMs: number | undefined, handedOutMs: number, offsetMs: number, clamped = false): JobRow => ({
  job,
  runner: `rf-lab-${job}`,
  conclusion: "success",
  warm,
  pickup: { firstStepMs, handedOutMs, clock: { offsetMs, roundTripMs: 20 }, clamped },
  phasesMs: { intake: 30, jit: 40 },
});
const noLeaks = { domains: [], overlays: [], runners: [], secrets: [] };

describe("the lab's report", () => {
  it("shows pickup to the first step, the hand-out beside it, and each guest's clock offset", () => {
    const table = renderJobTable([row("a", true, 120, 5, 610), row("b", false, 9_930, 9_740, -250)]);
    const [header, , first, second] = table.split("\n");
    expect(header).toMatch(/pickup\s+to step\s+handout\s+behind\s+intake/);
    expect(first).toMatch(/warm\s+0\.12s\s+0\.01s\s+\+0\.61s\s+0\.03s/);
    expect(second).toMatch(/cold\s+9\.93s\s+9\.74s\s+-0\.25s/);
  });

  it("summarises warm and cold pickups to the first step, not to the hand-out", () => {
    const summary = renderSummary([row("a", true, 120, 5, 610), row("b", false, 9_930, 9_740, 300, true), row("c", false, undefined, 8_000, 0)], noLeaks);
    expect(summary).toMatch(/warm pickups\s+p50\s+0\.12s/);
    expect(summary).toMatch(/cold pickups\s+p50\s+9\.93s\s+p95\s+9\.93s\s+\(1 jobs\)/);
    expect(summary).toMatch(/queued → handed out\s+p50\s+8\.00s\s+p95\s+9\.74s\s+\(3 jobs\)/);
    expect(summary).toContain("+0.00s to +0.61s (± 10 ms)");
    expect(summary).toContain("1 start(s) fell before the hand-out");
  });

  it.each([
    [610, "+0.61s"],
    [-250, "-0.25s"],
    [-2, "+0.00s"],
    [undefined, "-"],
  ])("formatOffset(%s) = %s", (ms, text) => {
    expect(formatOffset(ms)).toBe(text);
  });
});
