/**
 * What a host holds for its controller, read without the controller: libvirt domains with the
 * owner prefix, overlays, JIT secret files, serial logs and VM records, with the ages that
 * `fleet doctor` needs. Read in the controller's own order (resources first, records last), so
 * anything a running controller creates meanwhile already has the record that protects it.
 */
import { readFile, stat } from "node:fs/promises";
import type { ControllerConfig } from "../config/controller-config.ts";
import { nameOfFile, ownerPrefix, stateDirs } from "../controller/naming.ts";
import type { VmRecord } from "../controller/vm-record.ts";
import type { DomainInfo, Hypervisor } from "../ports/hypervisor.ts";
import { listFiles, listFilesWithPrefix } from "../storage/atomic-file.ts";

export interface LocalFile {
  path: string;
  /** The VM the file belongs to. */
  name: string;
  /** Epoch ms; undefined when there is no file to stat (the in-memory hypervisor's overlays). */
  mtime: number | undefined;
}

export interface LocalState {
  prefix: string;
  domains: DomainInfo[];
  overlays: LocalFile[];
  secrets: LocalFile[];
  logs: LocalFile[];
  /** By VM name; a record that exists but cannot be parsed maps to undefined. */
  records: Map<string, VmRecord | undefined>;
}

async function mtimeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function filesOf(paths: readonly string[]): Promise<LocalFile[]> {
  return Promise.all(paths.map(async (path) => ({ path, name: nameOfFile(path), mtime: await mtimeOf(path) })));
}


export async function readRecords(stateDir: string): Promise<Map<string, VmRecord | undefined>> {
  const dir = stateDirs(stateDir).records;
  const records = new Map<string, VmRecord | undefined>();
  for (const file of await listFiles(dir)) {
    if (!file.endsWith(".json") || file.includes("/.")) continue;
    try {
      records.set(nameOfFile(file), JSON.parse(await readFile(file, "utf8")) as VmRecord);
    } catch (error) {
      // Gone since listing: a teardown finished. Unparseable: kept as "has a record" (never touched).
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") records.set(nameOfFile(file), undefined);
    }
  }
  return records;
}

export async function readLocalState(config: ControllerConfig, hypervisor: Hypervisor): Promise<LocalState> {
  const prefix = ownerPrefix(config.namePrefix, config.host.name);
  const dirs = stateDirs(config.paths.state);
  const [domains, volumes, secretPaths, logPaths] = await Promise.all([
    hypervisor.listDomains(prefix),
    hypervisor.listOverlays(dirs.overlays, prefix),
    listFilesWithPrefix(dirs.secrets, prefix),
    listFilesWithPrefix(dirs.logs, prefix).then((files) => files.filter((f) => f.endsWith(".log"))),
  ]);
  const [overlays, secrets, logs] = await Promise.all([filesOf(volumes.map((v) => v.path)), filesOf(secretPaths), filesOf(logPaths)]);
  const records = await readRecords(config.paths.state);
  return { prefix, domains, overlays, secrets, logs, records };
}
