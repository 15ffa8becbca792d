/**
 * The lab on another guest arch (`fleet lab --arch arm64`): its image, pool, labels and timeouts,
 * the step that shows which machine the job ran on, and the line that reports it. An arm64
 * guest on this x86_64 machine runs emulated (TCG): boots and steps take several times longer.
 */
import type { GuestArch } from "../config/pool-shape.ts";
import type { Job } from "../emulator/state.ts";

export type LabArch = GuestArch;

export function labLabelsFor(arch: LabArch): string[] {
  return ["self-hosted", "linux", arch, "runner-fleet"];
}

/** The guest image directory (`guest/build-image.sh --arch arm64` builds the arm64 one). */
export function labImageDir(arch: LabArch, x64Dir: string): string {
  return arch === "x64" ? x64Dir : (process.env.RF_LAB_ARM64_IMAGE_DIR ?? "/var/lib/runner-fleet/images/lab-arm64");
}

/** Emulated guests boot for minutes, not seconds; one VM at a time keeps the cores for the job. */
export function archPool(arch: LabArch): { arch?: "arm64"; max?: number } {
  return arch === "x64" ? {} : { arch, max: 1 };
}

export function archBootTimeoutSeconds(arch: LabArch): number {
  return arch === "x64" ? 120 : 900;
}

export const machineStepName = "machine";

/** The step that prints the guest's machine (`uname -m`); only the arm64 lab adds it. */
export function archSteps(arch: LabArch): { name: string; run: string }[] {
  return arch === "x64" ? [] : [{ name: machineStepName, run: "uname -m" }];
}

/** What the job's machine step printed, or undefined when it did not run. */
export function jobMachine(job: Pick<Job, "stepResults">): string | undefined {
  const step = job.stepResults.find((s) => s.name === machineStepName);
  return step && step.conclusion === "success" ? step.log.trim().split("\n").pop()?.trim() : undefined;
}

/** The arm64 lab's last line: where the job ran (as the guest said) and queued → completed. */
export function archLine(arch: LabArch, job: Pick<Job, "stepResults" | "createdAt" | "completedAt">): { line: string; ok: boolean } {
  const machine = jobMachine(job);
  const seconds = job.completedAt === null ? undefined : (job.completedAt - job.createdAt) / 1000;
  const expected = arch === "arm64" ? "aarch64" : "x86_64";
  if (machine === undefined || seconds === undefined) return { line: `${arch}: job not served (no ${machineStepName} step output)`, ok: false };
  return { line: `${arch}: job served on ${machine} in ${seconds.toFixed(1)} s`, ok: machine === expected };
}
