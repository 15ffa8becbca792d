import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createProgress, progressLine, wantsProgress } from "../../../runtime/cli/progress.ts";

function terminal(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 40 });
  let written = "";
  stream.on("data", (chunk: Buffer) => (written += chunk.toString()));
  return { stream, written: () => written };
}

describe("progress line", () => {
  it.each([
    ["jobs: 2 of 5 done", 12_400, 0, 80, "⠋ jobs: 2 of 5 done · 12s"],
    ["waiting for the warm pool", 999, 11, 80, "⠙ waiting for the warm pool · 0s"],
    ["a very long status that does not fit", 5000, 0, 20, "⠋ a very long stat…"], // 19 characters: one column kept free,
  ])("%j after %i ms", (text, elapsed, frame, columns, expected) => {
    expect(progressLine(text, elapsed, frame, columns)).toBe(expected);
  });
});

describe("when to show progress", () => {
  it.each([
    [true, {}, false, true],
    [false, {}, false, false],
    [true, {}, true, false],
    [true, { TERM: "dumb" }, false, false],
  ] as const)("tty %s, env %j, json %s → %s", (isTTY, env, json, expected) => {
    expect(wantsProgress(terminal(isTTY).stream, env, json)).toBe(expected);
  });
});

describe("the status line", () => {
  it("rewrites one line in place on a terminal and clears it at the end", () => {
    const { stream, written } = terminal(true);
    let t = 0;
    const progress = createProgress(stream, { enabled: true, now: () => t, tickMs: 60_000 });
    progress.update("warm pool");
    t = 3000;
    progress.update("jobs: 1 of 2 done");
    progress.update("jobs: 1 of 2 done");
    progress.stop();
    progress.update("after stop");
    expect(written()).toBe("\r\x1b[2K⠋ warm pool · 0s\r\x1b[2K⠙ jobs: 1 of 2 done · 3s\r\x1b[2K");
  });

  it("clears the status line for a report line, then draws it again", () => {
    const { stream, written } = terminal(true);
    const progress = createProgress(stream, { enabled: true, now: () => 0, tickMs: 60_000 });
    progress.update("warm pool");
    progress.interject(() => stream.write("controller  http://127.0.0.1:1\n"));
    progress.stop();
    expect(written()).toBe("\r\x1b[2K⠋ warm pool · 0s\r\x1b[2Kcontroller  http://127.0.0.1:1\n\r\x1b[2K⠙ warm pool · 0s\r\x1b[2K");
  });

  it("writes nothing when disabled (piped or --json)", () => {
    const { stream, written } = terminal(false);
    const progress = createProgress(stream, { enabled: false });
    progress.update("jobs: 1 of 2 done");
    progress.stop();
    expect(written()).toBe("");
  });
});
