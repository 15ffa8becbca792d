import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OutputTail } from "../../../runtime/guest-agent/output-tail.ts";
import { backoffDelay, defaultBackoff } from "../../../runtime/guest-agent/backoff.ts";

describe("OutputTail", () => {
  it("keeps everything while under the limit", () => {
    const tail = new OutputTail(10);
    tail.push(Buffer.from("abc"));
    tail.push(Buffer.from("def"));
    expect(tail.text()).toBe("abcdef");
    expect(tail.truncated).toBe(false);
  });

  it("keeps exactly the last `limit` bytes of any sequence of chunks", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 })), fc.integer({ min: 1, max: 80 }), (chunks, limit) => {
        const tail = new OutputTail(limit);
        for (const chunk of chunks) tail.push(Buffer.from(chunk));
        const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        expect(tail.truncated).toBe(all.length > limit);
        const kept = all.subarray(Math.max(0, all.length - limit));
        expect(tail.text()).toBe(kept.toString("utf8").replace(all.length > limit ? /^\uFFFD+/ : /(?!)/, ""));
      }),
    );
  });

  it("drops the remains of a character cut at the front", () => {
    const tail = new OutputTail(4);
    tail.push(Buffer.from("xx€ab")); // € is 3 bytes: the last 4 bytes are its last 2 bytes + "ab"
    expect(tail.text()).toBe("ab");
  });
});

describe("backoffDelay", () => {
  it("doubles from the initial delay up to the maximum", () => {
    const policy = { retries: 6, initialDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it("gives up within about 20 s by default, so a guest that cannot reach the server powers off soon", () => {
    const total = Array.from({ length: defaultBackoff.retries }, (_, i) => backoffDelay(i + 1, defaultBackoff)).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(10_000);
    expect(total).toBeLessThan(30_000);
  });
});
