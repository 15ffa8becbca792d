/**
 * The hypervisor port: everything the controller needs from libvirt/QEMU, and nothing more.
 *
 * Two implementations exist: `runtime/hypervisor/libvirt/` (virsh and qemu-img through execFile)
 * and `runtime/hypervisor/memory/` (a fast in-process double). Both pass the same contract suite
 * in `test/contract/hypervisor.contract.ts`, so the double cannot drift from the real thing.
 *
 * Every mutating call is idempotent: destroying a stopped domain, undefining a missing one or
 * removing a missing volume succeeds. That is what lets the reconcile loop retry any action.
 */
import type { HostMessage } from "../protocol/job-channel.ts";

/**
 * How a runner VM reaches the network: a libvirt network (production: NAT, see components/host;
 * the lab: the same network made isolated, see runtime/lab/lab-network.ts), optionally with an
 * nwfilter on the guest's interface that keeps it away from the host's services and private ranges.
 */
export interface NetworkAttachment {
  kind: "libvirt-network";
  network: string;
  filter?: string;
  /**
   * The guest's IPv4 address when the controller assigned it (address-allocator.ts): the filter
   * gets it as its IP parameter, so libvirt does not learn it from the guest's traffic.
   */
  ip?: string;
}

/** Direct kernel boot (the lab's Debian-package image) or boot from the disk's own bootloader. */
export type BootSource =
  | { kind: "kernel"; kernel: string; initrd: string; cmdline: string }
  | { kind: "disk" };

/** Controller bookkeeping stored inside the domain definition, so it survives a controller crash. */
export interface DomainMetadata {
  pool: string;
  /** ISO-8601 time the controller created the domain. */
  createdAt: string;
}

/**
 * How a VM is shaped beyond vCPUs and memory (a pool's shape, placed on this host's cores):
 * rendered by `runtime/hypervisor/libvirt/shape-xml.ts`. Every field is optional.
 */
export interface VmShapeSpec {
  /** Guest arch (default x86_64). */
  arch?: "x86_64" | "aarch64";
  /** Run under TCG whatever the adapter's domain type: the guest's arch differs from the host's. */
  emulated?: boolean;
  /** vCPU i runs on host core pinnedCores[i] only (exclusive to this VM). */
  pinnedCores?: number[];
  /** Host cores the vCPUs of an unpinned VM may run on (keeps it off pinned pools' cores). */
  cpuset?: number[];
  /** The host NUMA node the VM's memory must come from (its pinned cores are on it). */
  numaNode?: number;
  memoryLimitMiB?: number;
  hugepages?: boolean;
  /** PCI devices passed through with VFIO; `managed`: libvirt binds them to vfio-pci itself. */
  hostdevs?: { pci: string; managed: boolean }[];
}

export interface DomainSpec {
  /** Unique name; equal to the runner's name in GitHub. */
  name: string;
  vcpus: number;
  memoryMiB: number;
  /** qcow2 overlay backed by the base image. */
  disk: string;
  boot: BootSource;
  /**
   * fw_cfg entries (name like `opt/runner-fleet/jitconfig`), each read by QEMU from a file at
   * start time. The file can be deleted as soon as start returns.
   */
  fwCfg: { name: string; file: string }[];
  network: NetworkAttachment;
  /** File that receives the guest's serial console. */
  serialLog: string;
  metadata: DomainMetadata;
  /** The NIC's MAC (`52:54:00:xx:xx:xx`); libvirt picks one when absent. */
  mac?: string;
  /**
   * Host unix socket of the guest's job channel (virtio-serial port `org.runnerfleet.job.0`,
   * `runtime/protocol/job-channel.ts`), served by the hypervisor while the domain runs (created at
   * start in a directory only root can enter, removed when the domain stops). Optional: guests
   * that get their JIT config through fw_cfg need none.
   */
  jobChannel?: string;
  shape?: VmShapeSpec;
  /** Disks after the root disk (dependency caches, runtime/caches), in order, from `vdb` on. */
  extraDisks?: ExtraDisk[];
  /** fw_cfg entries whose (non-secret) value is given inline rather than read from a file. */
  fwCfgText?: { name: string; value: string }[];
}

/** A qcow2 disk told apart in the guest by its serial (`/sys/block/vdX/serial`). */
export interface ExtraDisk {
  file: string;
  /** At most 20 characters (virtio-blk's limit). */
  serial: string;
  /** The guest cannot write it, whatever it tries (`<readonly/>`). */
  readOnly: boolean;
}

export type DomainState = "running" | "shutoff" | "paused" | "crashed" | "other";

export interface DomainInfo {
  name: string;
  state: DomainState;
  /** Undefined for domains defined by something else that happen to match the prefix. */
  metadata: DomainMetadata | undefined;
}

export interface VolumeInfo {
  path: string;
  sizeBytes: number;
}

export type HypervisorEvent = { kind: "lifecycle"; domain: string; state: DomainState };

export interface Hypervisor {
  /**
   * Changes whenever a state saved before could no longer be restored as it is (libvirt: the
   * domain XML renderer's version and the domain type): part of a snapshot's key.
   */
  readonly snapshotCompatibility: string;
  /** Domains (running or defined) whose name starts with `prefix`. */
  listDomains(prefix: string): Promise<DomainInfo[]>;
  /** Defines (or redefines, if stopped) a persistent domain. */
  defineDomain(spec: DomainSpec): Promise<void>;
  startDomain(name: string): Promise<void>;
  /** Hard power-off. Succeeds if the domain is already stopped or missing. */
  destroyDomain(name: string): Promise<void>;
  /** Removes the definition. Succeeds if missing. The domain must be stopped. */
  undefineDomain(name: string): Promise<void>;
  /**
   * Powers the domain off if it runs and removes its definition: teardown's one call (libvirt
   * does it in a single virsh process). Succeeds if the domain is missing.
   */
  removeDomain(name: string): Promise<void>;

  /**
   * Saves a running domain's memory and device state to `stateFile` (created 0600; must not
   * exist) and stops it; its definition stays, shut off. Throws DomainStateError if it is not
   * running, DomainNotFoundError if missing. What the guest had in memory is in the file.
   */
  saveDomain(name: string, stateFile: string): Promise<void>;
  /**
   * Starts `spec.name` from a state file another domain of the same shape (vCPUs, memory, boot,
   * devices) was saved to, with `spec`'s own disk, console, MAC, job channel, network and
   * metadata, a new UUID and a new VM generation id. The guest resumes where the saved one
   * stopped. The domain is persistent afterwards, like a defined one. Fails (and leaves no domain)
   * if the name is taken, the file is missing or not a state file, or the shape differs.
   */
  restoreDomain(stateFile: string, spec: DomainSpec): Promise<void>;

  /**
   * Creates a qcow2 overlay at `path` backed by `base`. Fails if `path` exists. `sizeGiB`: the
   * virtual size the guest sees (default: the base's).
   */
  createOverlay(base: string, path: string, options?: { sizeGiB?: number }): Promise<void>;
  /** Overlays in `dir` whose file name starts with `prefix`. */
  listOverlays(dir: string, prefix: string): Promise<VolumeInfo[]>;
  /** Removes an overlay. Succeeds if missing. */
  removeOverlay(path: string): Promise<void>;

  /**
   * Makes a secret file the caller just wrote with mode 0600 (a JIT config for `fwCfg`) readable
   * by the process that will read it at start, without making it readable by anyone else: QEMU
   * under libvirt runs as its own user (libvirt's DAC label, e.g. libvirt-qemu), so the libvirt
   * adapter chowns the file to that user and group and keeps the mode at 0600. The caller (root)
   * can still delete it, and should, as soon as `startDomain` returns. Fails, naming the file, if
   * it is missing or readable or writable by group or others.
   */
  shareSecretFile(path: string): Promise<void>;

  /**
   * Sends one message over a running domain's job channel (the socket of `DomainSpec.jobChannel`)
   * and resolves once the guest acked it. Throws JobChannelError: no socket, no ack within
   * `timeoutMs`, or the guest refused (with its reason). Never puts the message in an error.
   */
  sendToGuest(socket: string, message: HostMessage, options: { timeoutMs: number }): Promise<void>;

  /**
   * Subscribes to lifecycle events (a guest powering off, a domain starting). Events are hints
   * that make the reconcile loop react sooner; correctness never depends on receiving them.
   * Returns an unsubscribe function.
   */
  watch(onEvent: (event: HypervisorEvent) => void): () => void;
}
