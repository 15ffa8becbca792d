/** Parsers for what virsh prints. Pure, so each format is pinned by a unit test. */
import type { DomainState, HypervisorEvent } from "../../ports/hypervisor.ts";

/** `virsh domstate` / `dominfo` state words (libvirt's virshDomainStateToString). */
export function domainStateOf(word: string): DomainState {
  switch (word.trim()) {
    case "running":
    case "idle":
    case "blocked":
    case "in shutdown":
      return "running";
    case "shut off":
      return "shutoff";
    case "paused":
    case "pmsuspended":
      return "paused";
    case "crashed":
      return "crashed";
    default:
      return "other";
  }
}

export interface ListedDomain {
  uuid: string;
  name: string;
}

/** `virsh list --all --uuid --name`: one `UUID NAME` per line (names may contain spaces). */
export function parseDomainList(text: string): ListedDomain[] {
  const domains: ListedDomain[] = [];
  for (const line of text.split("\n")) {
    const match = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) (.+)$/.exec(line);
    if (match) domains.push({ uuid: match[1] as string, name: match[2] as string });
  }
  return domains;
}

/**
 * `virsh -q list --all` table lines: ` 12   name   running`, ` -    name   shut off` (the id is
 * `-` for a domain that is not running). Name → state.
 */
export function parseDomainTable(text: string): Map<string, DomainState> {
  const states = new Map<string, DomainState>();
  for (const line of text.split("\n")) {
    const match = /^\s*(?:\d+|-)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (match) states.set(match[1]!, domainStateOf(match[2]!));
  }
  return states;
}

export interface DomainInfoLines {
  uuid: string;
  state: DomainState;
}

/** `virsh dominfo`: `Key:   value` lines; we need the UUID and the state. */
export function parseDominfo(text: string): DomainInfoLines {
  const field = (key: string): string | undefined => {
    const match = new RegExp(`^${key}:\\s*(.*)$`, "m").exec(text);
    return match?.[1]?.trim();
  };
  const uuid = field("UUID");
  const state = field("State");
  if (uuid === undefined || state === undefined) throw new Error(`unexpected virsh dominfo output: ${text.slice(0, 200)}`);
  return { uuid, state: domainStateOf(state) };
}

/**
 * Builds one virsh command string that reports state and XML of many domains at once (one
 * process instead of two per domain). Sections are introduced by `echo MARKER<uuid>`; the marker
 * carries a per-call nonce so no domain XML can imitate it. UUIDs need no quoting for virsh.
 * It ends with an `echo`: virsh exits with the last command's status, and a last domain that
 * vanished in between must leave an empty section, not fail the whole listing.
 */
export function batchInspectCommand(uuids: readonly string[], marker: string): string {
  return [...uuids.map((uuid) => `echo ${marker}${uuid}; domstate ${uuid}; dumpxml ${uuid}`), `echo ${marker}end`].join("; ");
}

export interface InspectedDomain {
  state: DomainState;
  xml: string;
}

/**
 * Splits the output of `batchInspectCommand`. A domain that vanished between listing and
 * inspection has an empty section (virsh reported the error on stderr) and is left out.
 */
export function parseBatchInspect(text: string, marker: string): Map<string, InspectedDomain> {
  const result = new Map<string, InspectedDomain>();
  const parts = text.split(marker).slice(1);
  for (const part of parts) {
    const uuid = part.slice(0, 36);
    const rest = part.slice(36);
    const xmlStart = rest.indexOf("<domain");
    const xmlEnd = rest.lastIndexOf("</domain>");
    if (xmlStart === -1 || xmlEnd === -1) continue;
    const stateWord = rest.slice(0, xmlStart).trim().split("\n")[0] ?? "";
    if (stateWord === "") continue;
    result.set(uuid, { state: domainStateOf(stateWord), xml: rest.slice(xmlStart, xmlEnd + "</domain>".length) });
  }
  return result;
}

const lifecycleLine = /^event 'lifecycle' for domain '(.*)': (\S+)(?: .*)?$/;

/**
 * One line of `virsh event --loop --event lifecycle`. Only events that change what
 * `listDomains` reports become HypervisorEvents; Defined/Undefined and the transitional
 * Shutdown (always followed by Stopped) are dropped.
 */
export function parseLifecycleEvent(line: string): HypervisorEvent | undefined {
  const match = lifecycleLine.exec(line.trimEnd());
  if (!match) return undefined;
  const domain = match[1] as string;
  const state = lifecycleStates[match[2] as string];
  return state === undefined ? undefined : { kind: "lifecycle", domain, state };
}

const lifecycleStates: Record<string, DomainState> = {
  Started: "running",
  Resumed: "running",
  Suspended: "paused",
  PMSuspended: "paused",
  Stopped: "shutoff",
  Crashed: "crashed",
};

export interface DacLabel {
  uid: number;
  gid: number;
}

/**
 * The user and group QEMU runs as, from `virsh capabilities`: the DAC security model's
 * `<baselabel type='qemu'>+64055:+64055</baselabel>`. Undefined when libvirt has no DAC model
 * (qemu:///session: QEMU runs as the caller, nothing to share).
 */
export function parseDacLabel(capabilitiesXml: string, domainType: string): DacLabel | undefined {
  for (const secmodel of capabilitiesXml.matchAll(/<secmodel>([\s\S]*?)<\/secmodel>/g)) {
    const body = secmodel[1] as string;
    if (!/<model>dac<\/model>/.test(body)) continue;
    const label = new RegExp(`<baselabel type=['"]${domainType}['"]>\\+?(\\d+):\\+?(\\d+)</baselabel>`).exec(body);
    if (label) return { uid: Number(label[1]), gid: Number(label[2]) };
  }
  return undefined;
}
