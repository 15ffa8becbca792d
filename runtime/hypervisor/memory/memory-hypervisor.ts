/**
 * The in-process Hypervisor double: the same semantics as the libvirt adapter (the contract
 * suite runs both) at memory speed. Definitions, states and overlays live in memory; what QEMU
 * touches on disk is touched here too: fw_cfg files are read at start (missing ⇒ start fails),
 * the disk, kernel and initrd must exist, the guest's console goes to the serial log file, and a
 * job channel is a real unix socket (`memory-channel.ts`).
 */
import { appendFileSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute } from "node:path";
import type { DomainInfo, DomainSpec, DomainState, Hypervisor, HypervisorEvent, VolumeInfo } from "../../ports/hypervisor.ts";
import { checkOverlaySize, DomainNotFoundError, DomainStateError, OverlayError } from "../errors.ts";
import { sendOverJobChannel } from "../job-channel-client.ts";
import { withCheckedSecretFile } from "../secret-file.ts";
import { serveMemoryChannel, type MemoryChannel } from "./memory-channel.ts";
import { validateDomainName, validateDomainSpec } from "../spec-validation.ts";
import { waitsUntilDestroyed, type GuestBehaviour } from "./guest-behaviours.ts";

export interface MemoryHypervisorOptions {
  /** What a started guest does; when it resolves (or throws) the guest powers off. */
  guest?: GuestBehaviour;
}

/** What `qemu-img create` produces for an empty overlay (qcow2 header, L1 and refcount tables). */
const emptyOverlayBytes = 196_624;

interface Domain {
  spec: DomainSpec;
  state: DomainState;
  /** Each boot gets a new generation, so a late poweroff of an old boot changes nothing. */
  generation: number;
  abort?: AbortController;
  /** What the running guest got from fw_cfg (it is in its memory, so in a saved state). */
  fwCfg?: Map<string, Buffer>;
  channel?: MemoryChannel;
}

const savedStateMagic = "runner-fleet memory hypervisor saved state";
interface SavedState {
  magic: string;
  spec: DomainSpec;
  memory: Record<string, string>;
}

export interface MemoryHypervisor extends Hypervisor {
  /** Resolves when every guest behaviour started so far has finished (for tests). */
  settled(): Promise<void>;
}

export function createMemoryHypervisor(options: MemoryHypervisorOptions = {}): MemoryHypervisor {
  const guest = options.guest ?? waitsUntilDestroyed;
  const domains = new Map<string, Domain>();
  const overlays = new Map<string, { base: string }>();
  const listeners = new Set<(event: HypervisorEvent) => void>();
  const running = new Set<Promise<void>>();

  function emit(domain: string, state: DomainState): void {
    for (const listener of [...listeners]) {
      try {
        listener({ kind: "lifecycle", domain, state });
      } catch {
        // A throwing listener must not stop the others.
      }
    }
  }

  function stop(name: string, domain: Domain): Promise<void> {
    domain.abort?.abort();
    domain.abort = undefined;
    domain.state = "shutoff";
    domain.generation += 1;
    const channel = domain.channel;
    domain.channel = undefined;
    emit(name, "shutoff");
    // Like libvirt: the channel's socket goes with the running domain.
    return channel ? channel.close() : Promise.resolve();
  }

  async function mustExist(path: string, what: string, name: string): Promise<void> {
    if (overlays.has(path)) return;
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw new Error(`cannot start domain ${name}: ${what} ${path} does not exist`);
  }

  /** The guest's life from a start or a restore: console, behaviour, power-off. */
  async function run(name: string, domain: Domain, fwCfg: Map<string, Buffer>, restored: boolean): Promise<void> {
    const { spec } = domain;
    // Like QEMU's serial file chardev: truncated at every start, mode 0600.
    await writeFile(spec.serialLog, "", { mode: 0o600 });
    const channel = spec.jobChannel !== undefined ? await serveMemoryChannel(spec.jobChannel) : undefined;
    domain.channel = channel;

    const abort = new AbortController();
    domain.abort = abort;
    domain.state = "running";
    domain.fwCfg = fwCfg;
    const generation = domain.generation;
    emit(name, "running");

    const console = (line: string) => {
      if (domain.generation === generation) appendFileSync(spec.serialLog, line.endsWith("\n") ? line : `${line}\n`);
    };
    const life = Promise.resolve()
      .then(() => guest({ name, spec: structuredClone(spec), fwCfg, channel: channel?.port, console, signal: abort.signal, restored }))
      .catch((error: unknown) => console(`guest crashed: ${error instanceof Error ? error.message : String(error)}`))
      .then(() => {
        // The guest powered off (or crashed): on_poweroff/on_crash = destroy.
        if (domain.generation === generation && domains.get(name) === domain) return stop(name, domain);
        return undefined;
      });
    running.add(life);
    void life.finally(() => running.delete(life));
  }

  return {
    snapshotCompatibility: "memory-1",

    async listDomains(prefix) {
      const result: DomainInfo[] = [];
      for (const [name, domain] of domains) {
        if (name.startsWith(prefix)) result.push({ name, state: domain.state, metadata: { ...domain.spec.metadata } });
      }
      return result.sort((a, b) => a.name.localeCompare(b.name));
    },

    async defineDomain(spec) {
      validateDomainSpec(spec);
      const existing = domains.get(spec.name);
      if (existing && (existing.state === "running" || existing.state === "paused")) {
        throw new DomainStateError(spec.name, existing.state, "redefine");
      }
      const copy: DomainSpec = structuredClone(spec);
      if (existing) existing.spec = copy;
      else domains.set(spec.name, { spec: copy, state: "shutoff", generation: 0 });
    },

    async startDomain(name) {
      validateDomainName(name);
      const domain = domains.get(name);
      if (!domain) throw new DomainNotFoundError(name);
      if (domain.state === "running") return;
      const { spec } = domain;
      await mustExist(spec.disk, "disk", name);
      if (spec.boot.kind === "kernel") {
        await mustExist(spec.boot.kernel, "kernel", name);
        await mustExist(spec.boot.initrd, "initrd", name);
      }
      // Like QEMU: every fw_cfg file is read now, once; afterwards the file is not needed.
      const fwCfg = new Map<string, Buffer>();
      for (const entry of spec.fwCfg) {
        try {
          fwCfg.set(entry.name, await readFile(entry.file));
        } catch (error) {
          throw new Error(`cannot start domain ${name}: fw_cfg ${entry.name} file ${entry.file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
        }
      }
      await run(name, domain, fwCfg, false);
    },

    async saveDomain(name, stateFile) {
      validateDomainName(name);
      const domain = domains.get(name);
      if (!domain) throw new DomainNotFoundError(name);
      if (domain.state !== "running") throw new DomainStateError(name, domain.state, "save");
      // What the guest holds in memory goes into the file, as with QEMU: here, what fw_cfg gave it.
      const memory = Object.fromEntries([...(domain.fwCfg ?? new Map<string, Buffer>())].map(([k, v]) => [k, v.toString("utf8")]));
      const saved: SavedState = { magic: savedStateMagic, spec: domain.spec, memory };
      await writeFile(stateFile, JSON.stringify(saved), { mode: 0o600, flag: "wx" });
      await stop(name, domain);
    },

    async restoreDomain(stateFile, spec) {
      validateDomainSpec(spec);
      const saved = JSON.parse(await readFile(stateFile, "utf8").catch((error: unknown) => {
        throw new Error(`cannot restore ${spec.name}: ${stateFile}: ${(error as NodeJS.ErrnoException).code ?? error}`);
      })) as SavedState;
      if (saved.magic !== savedStateMagic) throw new Error(`cannot restore ${spec.name}: ${stateFile} is not a saved state`);
      const shape = (s: DomainSpec) => JSON.stringify([s.vcpus, s.memoryMiB, s.boot, s.jobChannel !== undefined]);
      if (shape(saved.spec) !== shape(spec)) throw new Error(`cannot restore ${spec.name}: the snapshot does not fit this VM's shape`);
      if (domains.has(spec.name)) throw new DomainStateError(spec.name, domains.get(spec.name)!.state, "restore over");
      await mustExist(spec.disk, "disk", spec.name);
      const domain: Domain = { spec: structuredClone(spec), state: "shutoff", generation: 0 };
      domains.set(spec.name, domain);
      await run(spec.name, domain, new Map(Object.entries(saved.memory).map(([k, v]) => [k, Buffer.from(v)])), true);
    },

    async destroyDomain(name) {
      validateDomainName(name);
      const domain = domains.get(name);
      if (!domain || domain.state === "shutoff") return;
      await stop(name, domain);
    },

    async undefineDomain(name) {
      validateDomainName(name);
      const domain = domains.get(name);
      if (!domain) return;
      if (domain.state === "running" || domain.state === "paused") throw new DomainStateError(name, domain.state, "undefine");
      domains.delete(name);
    },

    async removeDomain(name) {
      await this.destroyDomain(name);
      await this.undefineDomain(name);
    },

    async createOverlay(base, path, options = {}) {
      checkOverlaySize(options.sizeGiB);
      if (!isAbsolute(base)) throw new OverlayError(`overlay base must be an absolute path: ${base}`);
      if (!isAbsolute(path)) throw new OverlayError(`overlay path must be an absolute path: ${path}`);
      if (overlays.has(path) || (await stat(path).catch(() => undefined))) throw new OverlayError(`overlay already exists: ${path}`);
      if (!overlays.has(base) && !(await stat(base).catch(() => undefined))?.isFile()) {
        throw new OverlayError(`qemu-img could not create overlay ${path} on ${base}: base image does not exist`);
      }
      overlays.set(path, { base });
    },

    async listOverlays(dir, prefix) {
      const volumes: VolumeInfo[] = [];
      for (const path of overlays.keys()) {
        if (dirname(path) === dir.replace(/\/+$/, "") && basename(path).startsWith(prefix)) {
          volumes.push({ path, sizeBytes: emptyOverlayBytes });
        }
      }
      return volumes.sort((a, b) => a.path.localeCompare(b.path));
    },

    async removeOverlay(path) {
      overlays.delete(path);
    },

    async shareSecretFile(path) {
      // QEMU "runs" in this process, as the caller: nothing to hand over once the checks pass.
      await withCheckedSecretFile(path, async () => undefined);
    },

    sendToGuest(socket, message, sendOptions) {
      return sendOverJobChannel(socket, message, sendOptions);
    },

    watch(onEvent) {
      const entry = (event: HypervisorEvent) => onEvent(event);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },

    async settled() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
