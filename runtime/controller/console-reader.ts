/**
 * Reads VMs' serial logs incrementally (they only grow) and keeps the marks found so far.
 * The cache is only an optimisation: a restarted controller re-reads the files from the start.
 */
import { open } from "node:fs/promises";
import { parseConsole, type ConsoleMarks } from "./console-marks.ts";

/** Enough to hold a runner's lines; a guest that floods its console is not read beyond this. */
const maxBytes = 1 << 20;

interface Tail {
  offset: number;
  text: string;
  marks: ConsoleMarks;
}

export class ConsoleReader {
  private readonly tails = new Map<string, Tail>();

  async read(name: string, path: string): Promise<ConsoleMarks> {
    const tail = this.tails.get(name) ?? { offset: 0, text: "", marks: { listening: false } };
    let handle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return tail.marks;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size < tail.offset) Object.assign(tail, { offset: 0, text: "" }); // truncated: start over
      const want = Math.min(size, maxBytes) - tail.offset;
      if (want > 0) {
        const buffer = Buffer.alloc(want);
        const { bytesRead } = await handle.read(buffer, 0, want, tail.offset);
        tail.offset += bytesRead;
        // Keep only a window of text: marks are single lines, and earlier ones stay in `marks`.
        tail.text = (tail.text + buffer.subarray(0, bytesRead).toString("utf8")).slice(-8192);
        tail.marks = mergeMarks(tail.marks, parseConsole(tail.text));
      }
    } finally {
      await handle.close();
    }
    this.tails.set(name, tail);
    return tail.marks;
  }

  forget(name: string): void {
    this.tails.delete(name);
  }
}

function mergeMarks(seen: ConsoleMarks, latest: ConsoleMarks): ConsoleMarks {
  const merged: ConsoleMarks = { listening: seen.listening || latest.listening };
  if (seen.waiting || latest.waiting) merged.waiting = true;
  const runningJob = latest.runningJob ?? seen.runningJob;
  const result = latest.result ?? seen.result;
  if (runningJob !== undefined) merged.runningJob = runningJob;
  if (result !== undefined) merged.result = result;
  return merged;
}
