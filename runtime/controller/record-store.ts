/** The VM journal on disk: one JSON file per VM under `<state>/vms/`. */
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { listFiles, writeFileAtomic } from "../storage/atomic-file.ts";
import { stateDirs, vmPaths } from "./naming.ts";
import type { VmRecord } from "./vm-record.ts";

export class RecordStore {
  private readonly dir: string;

  /**
   * @param onCorrupt told about a record that cannot be read. Atomic writes make a torn file
   *   impossible, so that is disk corruption or tampering: the file is set aside as
   *   `<name>.json.corrupt` for the operator, and the VM's leftovers (which no longer have a
   *   record) are removed by the orphan sweep, instead of every pass failing on it forever.
   */
  constructor(
    private readonly stateDir: string,
    private readonly onCorrupt: (file: string, problem: string) => void = () => undefined,
  ) {
    this.dir = stateDirs(stateDir).records;
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async list(): Promise<VmRecord[]> {
    const records: VmRecord[] = [];
    for (const file of await listFiles(this.dir)) {
      if (!file.endsWith(".json") || file.includes("/.")) continue;
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (error) {
        // Removed between listing and reading: a teardown just finished with it.
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      const record = parseRecord(text);
      if (typeof record === "string") {
        await rename(file, `${file}.corrupt`);
        this.onCorrupt(file, record);
        continue;
      }
      records.push(record);
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

/** The record, or what is wrong with the text. */
function parseRecord(text: string): VmRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  const record = value as Partial<VmRecord> | null;
  if (typeof record?.name !== "string" || typeof record.pool !== "string" || typeof record.phase !== "string" || typeof record.times?.requested !== "number") {
    return "lacks name, pool, phase or times.requested";
  }
  return record as VmRecord;
}
