import { describe, expect, it } from "vitest";
import { conclusionOf, parseConsole } from "../../../runtime/controller/console-marks.ts";

describe("parseConsole", () => {
  it("reads the lines actions/runner prints", () => {
    const log = [
      "[    0.000000] Linux version 6.1.0",
      "√ Connected to GitHub",
      "",
      "Current runner version: '2.311.0'",
      "2024-01-10 10:00:00Z: Listening for Jobs",
      "2024-01-10 10:00:05Z: Running job: build (ubuntu, 20)",
      "2024-01-10 10:00:30Z: Job build (ubuntu, 20) completed with result: Succeeded",
    ].join("\r\n");
    expect(parseConsole(log)).toEqual({ listening: true, runningJob: "build (ubuntu, 20)", result: "Succeeded" });
  });

  it("reports nothing for a console that has not got there", () => {
    expect(parseConsole("[    0.1] booting\nrunner-fleet: init\n")).toEqual({ listening: false });
    expect(parseConsole("Listening for Jobs\n")).toEqual({ listening: true });
  });

  it("maps results to GitHub conclusions", () => {
    expect(conclusionOf("Succeeded")).toBe("success");
    expect(conclusionOf("Failed")).toBe("failure");
    expect(conclusionOf("Canceled")).toBe("cancelled");
    expect(conclusionOf("Weird")).toBeUndefined();
    expect(conclusionOf(undefined)).toBeUndefined();
  });
});
