/** Errors both hypervisor adapters throw for the same conditions (the contract suite checks them). */
import type { DomainState } from "../ports/hypervisor.ts";

export class DomainNotFoundError extends Error {
  constructor(readonly domain: string) {
    super(`domain ${domain} is not defined`);
    this.name = "DomainNotFoundError";
  }
}

/** Redefining or undefining a domain that is still running (or paused). */
export class DomainStateError extends Error {
  constructor(
    readonly domain: string,
    readonly state: DomainState,
    action: string,
  ) {
    super(`cannot ${action} domain ${domain}: it is ${state}; destroy it first`);
    this.name = "DomainStateError";
  }
}

export class OverlayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OverlayError";
  }
}

/** An overlay's virtual size: whole GiB, at least 1 (both adapters refuse anything else alike). */
export function checkOverlaySize(sizeGiB: number | undefined): void {
  if (sizeGiB !== undefined && (!Number.isInteger(sizeGiB) || sizeGiB < 1)) {
    throw new OverlayError(`overlay size must be a whole number of GiB >= 1, got ${sizeGiB}`);
  }
}

export class SecretFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretFileError";
  }
}

/** The job channel could not deliver a message: no socket, no ack in time, or the guest refused it. */
export class JobChannelError extends Error {
  constructor(
    message: string,
    /** `refused`: the guest answered no; the others: no answer at all. */
    readonly kind: "unreachable" | "timeout" | "refused",
  ) {
    super(message);
    this.name = "JobChannelError";
  }
}
