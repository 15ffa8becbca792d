/** A plain disk-boot domain spec for renderer tests that only care about the parts they add. */
import type { DomainSpec } from "../../runtime/ports/hypervisor.ts";

export const diskBootSpec: DomainSpec = {
  name: "rf-host1-small-0a1b2c3d",
  vcpus: 1,
  memoryMiB: 512,
  disk: "/var/lib/runner-fleet/overlays/rf-host1-small-0a1b2c3d.qcow2",
  boot: { kind: "disk" },
  fwCfg: [],
  network: { kind: "libvirt-network", network: "runner-fleet" },
  serialLog: "/var/lib/runner-fleet/logs/rf-host1-small-0a1b2c3d.log",
  metadata: { pool: "small", createdAt: "2026-01-02T03:04:05.678Z" },
};
