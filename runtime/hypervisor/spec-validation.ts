/**
 * The rules a DomainSpec must meet before any hypervisor acts on it. Both adapters call this, so
 * the in-memory double rejects exactly what the libvirt adapter rejects, with the same message
 * naming the offending field, instead of virsh failing later with something obscure.
 */
import type { DomainSpec, NetworkAttachment } from "../ports/hypervisor.ts";

export class InvalidDomainSpecError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`invalid domain spec: ${field} ${problem}`);
    this.name = "InvalidDomainSpecError";
  }
}

/**
 * Runner names (GitHub allows 64 characters). Not all digits and not UUID-shaped, because virsh
 * looks a domain up by id and UUID before it tries the name.
 */
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const uuidPattern = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** QEMU's fw_cfg file names: at most 55 bytes, and user entries must live under `opt/`. */
const fwCfgNamePattern = /^opt\/[A-Za-z0-9._/-]+$/;
const fwCfgNameMaxLength = 55;

/** Characters XML 1.0 can carry at all (even escaped); libvirt stores everything as XML. */
const nonXmlCharacter = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const controlCharacter = /[\u0000-\u001f\u007f]/;

export function validateDomainName(name: string, field = "name"): void {
  if (typeof name !== "string" || !namePattern.test(name)) {
    throw new InvalidDomainSpecError(field, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  if (/^\d+$/.test(name) || uuidPattern.test(name)) {
    throw new InvalidDomainSpecError(field, "must not look like a domain id or UUID");
  }
}

export function validateDomainSpec(spec: DomainSpec): void {
  validateDomainName(spec.name);
  positiveInteger(spec.vcpus, "vcpus", 1);
  positiveInteger(spec.memoryMiB, "memoryMiB", 64);
  absolutePath(spec.disk, "disk");
  absolutePath(spec.serialLog, "serialLog");

  if (spec.boot.kind === "kernel") {
    absolutePath(spec.boot.kernel, "boot.kernel");
    absolutePath(spec.boot.initrd, "boot.initrd");
    if (typeof spec.boot.cmdline !== "string" || controlCharacter.test(spec.boot.cmdline)) {
      throw new InvalidDomainSpecError("boot.cmdline", "must be a single line of text");
    }
  } else if (spec.boot.kind !== "disk") {
    throw new InvalidDomainSpecError("boot.kind", "must be 'kernel' or 'disk'");
  }

  const seen = new Set<string>();
  spec.fwCfg.forEach((entry, index) => {
    const field = `fwCfg[${index}]`;
    if (!fwCfgNamePattern.test(entry.name) || entry.name.length > fwCfgNameMaxLength) {
      throw new InvalidDomainSpecError(`${field}.name`, `must match opt/<letters, digits, . _ / -> and be at most ${fwCfgNameMaxLength} characters`);
    }
    if (seen.has(entry.name)) throw new InvalidDomainSpecError(`${field}.name`, `repeats '${entry.name}'`);
    seen.add(entry.name);
    absolutePath(entry.file, `${field}.file`);
  });
  (spec.fwCfgText ?? []).forEach((entry, index) => {
    const field = `fwCfgText[${index}]`;
    if (!fwCfgNamePattern.test(entry.name) || entry.name.length > fwCfgNameMaxLength || seen.has(entry.name)) {
      throw new InvalidDomainSpecError(`${field}.name`, `must match opt/<letters, digits, . _ / ->, be at most ${fwCfgNameMaxLength} characters and not repeat another entry`);
    }
    seen.add(entry.name);
    text(entry.value, `${field}.value`);
  });
  (spec.extraDisks ?? []).forEach((disk, index) => {
    absolutePath(disk.file, `extraDisks[${index}].file`);
    if (!/^[A-Za-z0-9._-]{1,20}$/.test(disk.serial)) {
      throw new InvalidDomainSpecError(`extraDisks[${index}].serial`, "must be 1-20 letters, digits, '.', '_' or '-'");
    }
  });

  validateNetwork(spec.network);
  if (spec.mac !== undefined && !/^52:54:00(:[0-9a-f]{2}){3}$/.test(spec.mac)) {
    throw new InvalidDomainSpecError("mac", "must be 52:54:00:xx:xx:xx in lower-case hex");
  }
  if (spec.jobChannel !== undefined) absolutePath(spec.jobChannel, "jobChannel");

  text(spec.metadata.pool, "metadata.pool");
  if (spec.metadata.pool.length === 0) throw new InvalidDomainSpecError("metadata.pool", "must not be empty");
  text(spec.metadata.createdAt, "metadata.createdAt");
  if (!Number.isFinite(Date.parse(spec.metadata.createdAt))) {
    throw new InvalidDomainSpecError("metadata.createdAt", "must be an ISO-8601 time");
  }
}

function validateNetwork(network: NetworkAttachment): void {
  if (network.kind !== "libvirt-network") throw new InvalidDomainSpecError("network.kind", "must be 'libvirt-network'");
  singleLine(network.network, "network.network");
  if (network.network.length === 0) throw new InvalidDomainSpecError("network.network", "must not be empty");
  if (network.filter !== undefined) {
    singleLine(network.filter, "network.filter");
    if (network.filter.length === 0) throw new InvalidDomainSpecError("network.filter", "must not be empty");
  }
}

function positiveInteger(value: number, field: string, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new InvalidDomainSpecError(field, `must be an integer >= ${min}`);
}

function absolutePath(value: string, field: string): void {
  singleLine(value, field);
  if (!value.startsWith("/")) throw new InvalidDomainSpecError(field, "must be an absolute path");
}

function singleLine(value: string, field: string): void {
  if (typeof value !== "string" || controlCharacter.test(value) || nonXmlCharacter.test(value)) {
    throw new InvalidDomainSpecError(field, "must be a string without control characters");
  }
}

function text(value: string, field: string): void {
  if (typeof value !== "string" || nonXmlCharacter.test(value)) {
    throw new InvalidDomainSpecError(field, "must be text XML can carry (no NUL or other C0 controls except tab and newlines, no lone surrogates)");
  }
}

