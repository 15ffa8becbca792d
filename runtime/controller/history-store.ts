/**
 * The history journal: one JSON line per finished VM, newest last, under `<state>/history.jsonl`.
 * Status reports, the retry backoff, the guard and canary reports read it. It is compacted to
 * the newest `keep` entries when it grows past twice that.
 */
import { appendFile, readFile } from "node:fs/promises";
import { writeFileAtomic } from "../storage/atomic-file.ts";
import { stateDirs } from "./naming.ts";
import type { HistoryEntry } from "./vm-record.ts";

/** The newest VMs the journal keeps (adaptive pool sizing learns from this much). */
export const historyKeep = 1000;

export class HistoryStore {
  private readonly file: string;
  private cache: HistoryEntry[] | undefined;

  constructor(stateDir: string, private readonly keep = historyKeep) {
    this.file = stateDirs(stateDir).history;
  }

  async read(): Promise<HistoryEntry[]> {
    this.cache ??= await this.load();
    return this.cache;
  }

  async append(entry: HistoryEntry): Promise<void> {
    const entries = await this.read();
    // A teardown interrupted between its append and its record removal runs again: keep one.
    if (entries.some((e) => e.name === entry.name)) return;
    await appendFile(this.file, JSON.stringify(entry) + "\n", { mode: 0o600 });
    entries.push(entry);
    if (entries.length > 2 * this.keep) {
      this.cache = entries.slice(-this.keep);
      await writeFileAtomic(this.file, this.cache.map((e) => JSON.stringify(e) + "\n").join(""), 0o600);
    }
  }

  private async load(): Promise<HistoryEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const entries: HistoryEntry[] = [];
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      try {
        entries.push(JSON.parse(line) as HistoryEntry);
      } catch {
        // A crash can leave a partial last line; everything before it is intact.
      }
    }
    return entries.slice(-this.keep);
  }
}
