/**
 * Disk images of dependency caches on the host (runtime/caches): an empty filesystem to start a
 * cache with, and a VM's writable copy flattened into a generation of its own. The libvirt
 * adapter uses mkfs.ext4 and qemu-img; the memory one writes placeholder files for fast tests.
 */
export interface CacheImages {
  /**
   * Creates `path` (qcow2) holding an empty ext4 filesystem of `sizeMiB` whose root belongs to
   * the guest's runner user (uid/gid 1000). Fails if `path` exists.
   */
  createEmpty(path: string, sizeMiB: number): Promise<void>;
  /** Writes `overlay` with its backing chain as one standalone qcow2 at `path` (which must not exist). */
  flatten(overlay: string, path: string): Promise<void>;
  /** Bytes `path` takes on the host's disk. */
  allocatedBytes(path: string): Promise<number>;
}
