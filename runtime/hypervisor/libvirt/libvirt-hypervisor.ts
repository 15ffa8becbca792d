/**
 * The Hypervisor port on libvirt: virsh and qemu-img through execFile (never a shell), domain
 * XML from the pure renderer, lifecycle events from a long-running `virsh event` child.
 */
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { access, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DomainInfo, DomainMetadata, DomainSpec, Hypervisor, HypervisorEvent, VolumeInfo } from "../../ports/hypervisor.ts";
import { DomainNotFoundError, DomainStateError } from "../errors.ts";
import { sendOverJobChannel } from "../job-channel-client.ts";
import { withCheckedSecretFile } from "../secret-file.ts";
import { validateDomainName, validateDomainSpec } from "../spec-validation.ts";
import { defaultDomainXmlOptions, domainXmlVersion, parseDomainMetadata, renderDomainXml } from "./domain-xml.ts";
import { LifecycleEventStream } from "./lifecycle-events.ts";
import { createQcow2Overlay } from "./qemu-img.ts";
import { randomMac } from "../../protocol/restore-messages.ts";
import { retargetSavedXml } from "./restore-xml.ts";
import { copySaveImageWithXml, readSaveImageHeader } from "./save-image.ts";
import { createVirsh, VirshError } from "./virsh.ts";
import {
  batchInspectCommand,
  parseBatchInspect,
  domainStateOf,
  parseDacLabel,
  parseDomainList,
  parseDomainTable,
  parseDominfo,
  type DacLabel,
  type DomainInfoLines,
} from "./virsh-output.ts";

export interface LibvirtHypervisorOptions {
  /** e.g. `qemu:///system`. */
  uri: string;
  /** `qemu` (TCG, the default) or `kvm`. */
  domainType?: "qemu" | "kvm";
  /** QEMU machine type (default `pc`). */
  machine?: string;
  /** Format of the base images overlays are backed by (default qcow2). */
  baseFormat?: string;
  virshBinary?: string;
  qemuImgBinary?: string;
  /** Per virsh / qemu-img call (default 60 s). */
  timeoutMs?: number;
  /** Told when the event child dies and is restarted. */
  onEventStreamRestart?: (info: { exitCode: number | null; delayMs: number }) => void;
}

export function createLibvirtHypervisor(options: LibvirtHypervisorOptions): Hypervisor {
  const virsh = createVirsh({ uri: options.uri, binary: options.virshBinary, timeoutMs: options.timeoutMs });
  const domainType = options.domainType ?? defaultDomainXmlOptions.domainType;
  const xmlOptions = { domainType, machine: options.machine };
  let dacLabel: Promise<DacLabel | undefined> | undefined;
  /** Domain UUID → its name and metadata, which never change after define (a redefine drops the entry). */
  const metadataCache = new Map<string, { name: string; metadata: DomainMetadata | undefined }>();
  const events = new LifecycleEventStream({
    spawnChild: () =>
      spawn(options.virshBinary ?? "virsh", ["-q", "-c", options.uri, "event", "--loop", "--event", "lifecycle"], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, LC_ALL: "C" },
      }),
    onRestart: options.onEventStreamRestart,
  });

  /**
   * virsh reads the XML from a file (Node's stdin pipes are sockets, which /dev/stdin cannot
   * open); the XML holds no secrets, only paths.
   */
  async function defineFromXml(xml: string): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "rf-domain-"));
    try {
      const file = join(dir, "domain.xml");
      await writeFile(file, xml, { mode: 0o600 });
      await virsh.run(["define", "--file", file]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** State and UUID of a domain, or undefined if libvirt does not know it. */
  async function inspect(name: string): Promise<DomainInfoLines | undefined> {
    try {
      return parseDominfo(await virsh.run(["dominfo", "--domain", name]));
    } catch (error) {
      if (error instanceof VirshError && /failed to get domain|Domain not found/i.test(error.stderr)) return undefined;
      throw error;
    }
  }

  return {
    snapshotCompatibility: `libvirt-xml-${domainXmlVersion}-${domainType}-${options.machine ?? defaultDomainXmlOptions.machine}`,

    async listDomains(prefix) {
      // The reconcile loop lists every pass, so this is one virsh process: names with UUIDs and
      // the state table, in command-string mode. A domain's metadata is written once, at
      // define, so it is read (dumpxml) only for domains not seen before.
      const marker = `rfsection${randomBytes(8).toString("hex")}:`;
      const output = await virsh.run([`list --all --uuid --name; echo ${marker}; list --all`]);
      const split = output.indexOf(marker);
      const listed = parseDomainList(split === -1 ? output : output.slice(0, split)).filter((d) => d.name.startsWith(prefix));
      const states = parseDomainTable(split === -1 ? "" : output.slice(split + marker.length));
      const unknown = listed.filter((d) => !metadataCache.has(d.uuid));
      if (unknown.length > 0) {
        // Errors for domains undefined in between go to stderr and leave their section empty;
        // virsh still exits 0 in command-string mode, so nothing to catch here.
        const inspected = parseBatchInspect(await virsh.run([batchInspectCommand(unknown.map((d) => d.uuid), marker)]), marker);
        for (const { uuid, name } of unknown) {
          const found = inspected.get(uuid);
          if (found) metadataCache.set(uuid, { name, metadata: parseDomainMetadata(found.xml) });
        }
      }
      const domains: DomainInfo[] = [];
      for (const { uuid, name } of listed) {
        const state = states.get(name);
        // Listed in one table but not the other: defined or undefined in between; next pass.
        const cached = metadataCache.get(uuid);
        if (state === undefined || cached === undefined) continue;
        domains.push({ name, state, metadata: cached.metadata });
      }
      const present = new Set(listed.map((d) => d.uuid));
      for (const [uuid, cached] of metadataCache) if (cached.name.startsWith(prefix) && !present.has(uuid)) metadataCache.delete(uuid);
      return domains;
    },

    async defineDomain(spec: DomainSpec) {
      validateDomainSpec(spec);
      // Every VM gets a fresh name, so define at once and look the domain up only when libvirt
      // says the name is taken (one virsh call instead of two on the hot path).
      try {
        await defineFromXml(renderDomainXml(spec, xmlOptions));
        return;
      } catch (error) {
        if (!(error instanceof VirshError && /already exists/i.test(error.stderr))) throw error;
      }
      const existing = await inspect(spec.name);
      if (existing && (existing.state === "running" || existing.state === "paused")) {
        throw new DomainStateError(spec.name, existing.state, "redefine");
      }
      if (existing) metadataCache.delete(existing.uuid);
      // Redefining keeps the domain's UUID: libvirt refuses the same name with a new one.
      await defineFromXml(renderDomainXml(spec, { ...xmlOptions, uuid: existing?.uuid }));
    },

    async startDomain(name) {
      validateDomainName(name);
      try {
        await virsh.run(["start", "--domain", name]);
      } catch (error) {
        const now = await inspect(name).catch(() => "unknown" as const);
        if (now === undefined) throw new DomainNotFoundError(name);
        if (now !== "unknown" && now.state === "running") return;
        throw error;
      }
    },

    async destroyDomain(name) {
      validateDomainName(name);
      try {
        await virsh.run(["destroy", "--domain", name]);
      } catch (error) {
        // Idempotent: already stopped (the guest may power off at any moment) or missing.
        const now = await inspect(name);
        if (now === undefined || now.state === "shutoff" || now.state === "crashed") return;
        throw error;
      }
    },

    async undefineDomain(name) {
      validateDomainName(name);
      const existing = await inspect(name);
      if (existing === undefined) return;
      if (existing.state === "running" || existing.state === "paused") {
        // libvirt would make it a transient domain that keeps running: refuse, as the port says.
        throw new DomainStateError(name, existing.state, "undefine");
      }
      try {
        await virsh.run(["undefine", "--domain", name, "--managed-save", "--snapshots-metadata"]);
      } catch (error) {
        if ((await inspect(name)) === undefined) return;
        throw error;
      }
    },

    async removeDomain(name) {
      validateDomainName(name);
      // One virsh process instead of four (each costs ~20 ms idle, far more on a busy host): in
      // command-string mode virsh runs every command whatever the previous one said and exits
      // with the last one's status, so `domstate` failing is the proof the domain is gone.
      // (The name is validated: letters, digits, '.', '_', '-' only, safe in a command string.)
      let state: string;
      try {
        state = await virsh.run([
          `destroy --domain ${name}; undefine --domain ${name} --managed-save --snapshots-metadata; domstate --domain ${name}`,
        ]);
      } catch (error) {
        if (error instanceof VirshError && /failed to get domain|Domain not found/i.test(error.stderr)) return;
        throw error;
      }
      throw new DomainStateError(name, domainStateOf(state.trim().split(/\s+/)[0] ?? ""), "remove");
    },

    async saveDomain(name, stateFile) {
      validateDomainName(name);
      const now = await inspect(name);
      if (now === undefined) throw new DomainNotFoundError(name);
      if (now.state !== "running") throw new DomainStateError(name, now.state, "save");
      if (await access(stateFile).then(() => true, () => false)) throw new Error(`cannot save domain ${name}: ${stateFile} exists`);
      try {
        await virsh.run(["save", "--domain", name, "--file", stateFile]);
      } catch (error) {
        await rm(stateFile, { force: true });
        throw error;
      }
    },

    async restoreDomain(stateFile, spec) {
      validateDomainSpec(spec);
      const header = await readSaveImageHeader(stateFile);
      const xml = retargetSavedXml(header.xml, spec, { uuid: randomUUID(), mac: randomMac() });
      if (await inspect(spec.name)) throw new DomainStateError(spec.name, "other", "restore over");
      // The VM's own copy of the state file, carrying its XML (see save-image.ts for why), next
      // to the original; gone once QEMU has read it, whatever happened.
      const copy = `${stateFile}.${spec.name}.restoring`;
      try {
        await copySaveImageWithXml(stateFile, copy, xml);
        await virsh.run(["restore", "--file", copy]);
      } finally {
        await rm(copy, { force: true });
      }
      // A restored domain is transient: defined now, it stays listed (shut off) after the guest
      // powers off, exactly like a booted one, until teardown removes it.
      try {
        await defineFromXml(xml);
      } catch (error) {
        await virsh.run(["destroy", "--domain", spec.name]).catch(() => undefined);
        throw error;
      }
    },

    createOverlay(base, path, overlay = {}) {
      return createQcow2Overlay(base, path, {
        ...overlay,
        binary: options.qemuImgBinary,
        baseFormat: options.baseFormat,
        timeoutMs: options.timeoutMs,
      });
    },

    async listOverlays(dir, prefix) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
      const volumes: VolumeInfo[] = [];
      for (const name of names.filter((n) => n.startsWith(prefix)).sort()) {
        const path = join(dir, name);
        const info = await stat(path).catch(() => undefined);
        if (info?.isFile()) volumes.push({ path, sizeBytes: info.size });
      }
      return volumes;
    },

    async removeOverlay(path) {
      await rm(path, { force: true });
    },

    async shareSecretFile(path) {
      dacLabel ??= virsh.run(["capabilities"]).then((xml) => parseDacLabel(xml, domainType));
      const label = await dacLabel.catch((error: unknown) => {
        dacLabel = undefined;
        throw error;
      });
      await withCheckedSecretFile(path, async (handle, info) => {
        // Without a DAC model (qemu:///session) QEMU runs as the caller and can already read it.
        if (label && (info.uid !== label.uid || info.gid !== label.gid)) await handle.chown(label.uid, label.gid);
      });
    },

    sendToGuest(socket, message, sendOptions) {
      return sendOverJobChannel(socket, message, sendOptions);
    },

    watch(onEvent: (event: HypervisorEvent) => void) {
      return events.subscribe(onEvent);
    },
  };
}
