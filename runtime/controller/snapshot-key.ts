/**
 * The content address of a snapshot: a hash over everything its saved memory and device state
 * depends on. The base image's and kernel's paths are themselves content-addressed
 * (guest/build-image.sh names each artifact by its hash, and the agent is inside the base
 * image), so a new image or agent changes the key; so do the VM's shape and the hypervisor's
 * `snapshotCompatibility` (domain XML renderer version and domain type). Pure.
 */
import { createHash } from "node:crypto";
import type { ControllerConfig } from "../config/controller-config.ts";

/** Bump when what the template guest does before it is saved changes outside the image. */
export const snapshotFormat = 1;

export interface SnapshotKeyInput {
  image: ControllerConfig["image"];
  vcpus: number;
  memoryMiB: number;
  hypervisor: string;
}

export function snapshotKey(input: SnapshotKeyInput): string {
  const canonical = JSON.stringify([
    snapshotFormat,
    input.image.base,
    input.image.boot.kind === "kernel" ? [input.image.boot.kernel, input.image.boot.initrd, input.image.boot.cmdline] : "disk",
    input.vcpus,
    input.memoryMiB,
    input.hypervisor,
  ]);
  return createHash("sha256").update(canonical).digest("hex").slice(0, 32);
}
