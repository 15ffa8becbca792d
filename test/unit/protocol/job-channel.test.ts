import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asJobMessage, encodeLine, LineSplitter, maxLineBytes, parseGuestAck, parseHostMessage } from "../../../runtime/protocol/job-channel.ts";

describe("job channel protocol", () => {
  it.each([
    ['{"type":"job","id":"1","jitConfig":"abc"}', { type: "job", id: "1", jitConfig: "abc" }],
    ['{"type":"clock","id":"c","epochMs":5}', { type: "clock", id: "c", epochMs: 5 }],
    ['{"type":"job","id":""}', undefined],
    ['{"id":"1"}', undefined],
    ['{"type":1,"id":"1"}', undefined],
    ['ig":"abc"}', undefined],
    ["[]", undefined],
    ["", undefined],
    [`{"type":"job","id":"1","jitConfig":"${"a".repeat(maxLineBytes)}"}`, undefined],
  ])("host message %#: %s", (line, expected) => {
    expect(parseHostMessage(line.slice(0, 200_000))).toEqual(expected);
  });

  it.each([
    [{ type: "job", id: "1", jitConfig: "abc" }, { type: "job", id: "1", jitConfig: "abc" }],
    [{ type: "job", id: "1" }, { error: "a job message needs a non-empty string jitConfig" }],
    [{ type: "job", id: "1", jitConfig: "" }, { error: "a job message needs a non-empty string jitConfig" }],
    [{ type: "job", id: "1", jitConfig: 7 }, { error: "a job message needs a non-empty string jitConfig" }],
  ])("job message %#", (message, expected) => {
    expect(asJobMessage(message)).toEqual(expected);
  });

  it.each([
    ['{"type":"ack","id":"1","ok":true}', { type: "ack", id: "1", ok: true }],
    ['{"type":"ack","id":"1","ok":false,"error":"no"}', { type: "ack", id: "1", ok: false, error: "no" }],
    ['{"type":"ack","id":"1","ok":false}', undefined],
    ['{"type":"ack","ok":true}', undefined],
    ['{"type":"nack","id":"1","ok":true}', undefined],
  ])("guest ack %#: %s", (line, expected) => {
    expect(parseGuestAck(line)).toEqual(expected);
  });

  it("a message survives encoding and any split into chunks", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.array(fc.nat(), { maxLength: 6 }), (id, jitConfig, cuts) => {
        const text = encodeLine({ type: "job", id, jitConfig }) + encodeLine({ type: "ack", id, ok: true });
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const splitter = new LineSplitter();
        const lines: string[] = [];
        let from = 0;
        for (const point of [...points, text.length]) {
          lines.push(...splitter.push(text.slice(from, point)));
          from = point;
        }
        expect(lines.map((line) => parseHostMessage(line))).toEqual([{ type: "job", id, jitConfig }, { type: "ack", id, ok: true }]);
        expect(parseGuestAck(lines[1]!)).toEqual({ type: "ack", id, ok: true });
      }),
    );
  });

  it("drops an over-long unfinished line instead of growing without bound", () => {
    const splitter = new LineSplitter();
    expect(splitter.push("x".repeat(maxLineBytes + 1))).toEqual([]);
    expect(splitter.push('tail\n{"type":"a","id":"1"}\n')).toEqual(["tail", '{"type":"a","id":"1"}']);
  });
});
