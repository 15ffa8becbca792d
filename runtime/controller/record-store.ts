/** The VM journal on disk: one JSON file per VM under `<state>/vms/`. */
import { mkdir, readFile, rm } from "node:fs/promises";
import { listFiles, writeFileAtomic } from "../storage/atomic-file.ts";
import { stateDirs, vmPaths } from "./naming.ts";
import type { VmRecord } from "./vm-record.ts";

export class RecordStore {
  private readonly dir: string;

  constructor(private readonly stateDir: string) {
    this.dir = stateDirs(stateDir).records;
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async list(): Promise<VmRecord[]> {
    const records: VmRecord[] = [];
    for (const file of await listFiles(this.dir)) {
      if (!file.endsWith(".json") || file.includes("/.")) continue;
      try {
        records.push(JSON.parse(await readFile(file, "utf8")) as VmRecord);
      } catch (error) {
        // Removed between listing and reading: a teardown just finished with it.
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        // Atomic writes make a torn file impossible, so this is disk corruption or tampering:
        // report it loudly rather than silently forgetting a VM.
        throw new Error(`unreadable VM record ${file}: ${(error as Error).message}`);
      }
    }
    return records.sort((a, b) => a.times.requested - b.times.requested || a.name.localeCompare(b.name));
  }

  async put(record: VmRecord): Promise<void> {
    await writeFileAtomic(vmPaths(this.stateDir, record.name).record, JSON.stringify(record), 0o600);
  }

  async remove(name: string): Promise<void> {
    await rm(vmPaths(this.stateDir, name).record, { force: true });
  }
}
