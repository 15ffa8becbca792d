/**
 * The lab's controller config: one host, one pool, the GitHub emulator as GitHub, and guests on
 * the lab's libvirt network (lab-network.ts) that can reach exactly one place on the host: the
 * emulator's runner listener.
 */
import type { ControllerConfigInput } from "../config/controller-config.ts";
import { archBootTimeoutSeconds, archPool, labLabelsFor, type LabArch } from "./arch-lab.ts";

export interface GuestImage {
  base: string;
  kernel: string;
  initrd: string;
  cmdline: string;
}

export const labLabels = labLabelsFor("x64");

export interface LabConfigInput {
  driver: "libvirt" | "memory";
  emulator: { url: string; appId: number; installationId: number; privateKey: string };
  image: GuestImage;
  /** With `subnet`, guests get static addresses (runtime/controller/address-allocator.ts). */
  network: ControllerConfigInput["network"];
  stateDir: string;
  webhookSecret: string;
  adminToken: string;
  pool: { min: number; max: number; vcpus: number; memoryMiB: number; caches?: { name: string; path: string; sizeMiB: number }[]; register?: "ahead" | "on-claim" };
  host: { vcpus: number; memoryMiB: number };
  /** The multi-host lab: each host's name, the address it listens on, the database it coordinates through. */
  name?: string;
  listenHost?: string;
  coordination?: ControllerConfigInput["coordination"];
  /** Guest arch (default x64); arm64 runs emulated here (`arch-lab.ts`). */
  arch?: LabArch;
}

export function labControllerConfig(input: LabConfigInput): ControllerConfigInput {
  return {
    host: { name: input.name ?? "lab", ...input.host },
    namePrefix: "rf",
    github: {
      apiUrl: input.emulator.url,
      scope: { kind: "org", org: "acme" },
      repositories: ["acme/app"],
      runnerGroupId: 1,
      auth: { kind: "app", appId: input.emulator.appId, installationId: input.emulator.installationId, privateKey: input.emulator.privateKey },
    },
    listen: { host: input.listenHost ?? "127.0.0.1", port: 0 },
    webhook: { secret: input.webhookSecret, path: "/webhook" },
    adminToken: input.adminToken,
    pools: [{ name: "lab", labels: labLabelsFor(input.arch ?? "x64"), ...input.pool, ...archPool(input.arch ?? "x64") }],
    image: { base: input.image.base, boot: { kind: "kernel", kernel: input.image.kernel, initrd: input.image.initrd, cmdline: input.image.cmdline } },
    network: input.network,
    hypervisor: { driver: input.driver, domainType: "qemu" },
    paths: { state: input.stateDir, status: `${input.stateDir}/status.json`, inventory: `${input.stateDir}/inventory.json` },
    // Short intervals: the lab is watched by a person, and a dropped webhook should not stall it.
    timing: { reconcileSeconds: 5, jobPollSeconds: 10, bootTimeoutSeconds: archBootTimeoutSeconds(input.arch ?? "x64"), jobTimeoutMinutes: 10, drainGraceSeconds: 60 },
    ...(input.coordination ? { coordination: input.coordination } : {}),
  };
}
