/**
 * Several "hosts" on one machine for the multi-host lab: each a network namespace with its own
 * address on a private bridge (veth pairs), so a host can be cut off from the others, the
 * database and the emulator without touching the machine's own network. Traffic stays on this
 * machine: the bridge has no uplink and nothing routes off it.
 *
 * The commands are plain data (`hostNetworkPlan`), run here by `ip` and `iptables`.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface HostNetworkPlan {
  bridge: string;
  subnet: string;
  /** The machine's address on the bridge: the emulator and PostgreSQL listen here. */
  gateway: string;
  hosts: { name: string; netns: string; address: string; hostSide: string }[];
  setup: string[][];
  teardown: string[][];
}

/** The interface inside each namespace. */
const innerInterface = "eth0";

/** `id`: a few hex digits that make names unique on the machine; `octet`: the subnet 10.216.<octet>.0/24. */
export function hostNetworkPlan(id: string, octet: number, names: readonly string[]): HostNetworkPlan {
  if (!/^[0-9a-f]{1,6}$/.test(id)) throw new Error(`bad host network id ${id}`);
  if (names.length < 1 || names.length > 200) throw new Error(`1 to 200 hosts, got ${names.length}`);
  const prefix = `10.216.${octet}`;
  const bridge = `rfmh${id}`;
  const gateway = `${prefix}.1`;
  const hosts = names.map((name, i) => ({ name, netns: `rfmh${id}-${name}`, address: `${prefix}.${11 + i}`, hostSide: `rfmh${id}h${i}` }));
  const setup: string[][] = [
    ["ip", "link", "add", bridge, "type", "bridge"],
    ["ip", "addr", "add", `${gateway}/24`, "dev", bridge],
    ["ip", "link", "set", bridge, "up"],
  ];
  for (const host of hosts) {
    setup.push(
      ["ip", "netns", "add", host.netns],
      ["ip", "link", "add", host.hostSide, "type", "veth", "peer", "name", innerInterface, "netns", host.netns],
      ["ip", "link", "set", host.hostSide, "master", bridge, "up"],
      ["ip", "-n", host.netns, "addr", "add", `${host.address}/24`, "dev", innerInterface],
      ["ip", "-n", host.netns, "link", "set", innerInterface, "up"],
      ["ip", "-n", host.netns, "link", "set", "lo", "up"],
    );
  }
  // Deleting a namespace deletes its end of the veth pair, and with it the host side.
  const teardown = [...hosts.map((host) => ["ip", "netns", "del", host.netns]), ["ip", "link", "del", bridge]];
  return { bridge, subnet: `${prefix}.0/24`, gateway, hosts, setup, teardown };
}

/**
 * Cutting a host off: its namespace drops every packet in and out on its bridge interface. A
 * partition, not a refusal: peers see silence (timeouts), as with a pulled cable or a dead switch.
 */
export function cutOffCommands(netns: string, action: "cut" | "reconnect"): string[][] {
  const flag = action === "cut" ? "-I" : "-D";
  return [
    ["ip", "netns", "exec", netns, "iptables", "-w", flag, "INPUT", "-i", innerInterface, "-j", "DROP"],
    ["ip", "netns", "exec", netns, "iptables", "-w", flag, "OUTPUT", "-o", innerInterface, "-j", "DROP"],
  ];
}

export interface LabHost {
  name: string;
  netns: string;
  address: string;
  /** Runs `argv` inside the host's namespace: the prefix for spawn. */
  exec: string[];
  cut(): Promise<void>;
  reconnect(): Promise<void>;
}

export interface HostNetwork {
  subnet: string;
  gateway: string;
  hosts: LabHost[];
  close(): Promise<void>;
}

async function runAll(commands: readonly string[][]): Promise<void> {
  for (const [command, ...args] of commands) {
    await run(command!, args).catch((error: unknown) => {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new Error(`${[command, ...args].join(" ")} failed: ${stderr || String(error)}`);
    });
  }
}

/** Octets of 10.216.N.0/24 this machine already has an address in. */
async function usedOctets(): Promise<Set<number>> {
  const { stdout } = await run("ip", ["-o", "-4", "addr", "show"]);
  return new Set([...stdout.matchAll(/inet 10\.216\.(\d+)\./g)].map((m) => Number(m[1])));
}

export async function startHostNetwork(names: readonly string[]): Promise<HostNetwork> {
  const used = await usedOctets();
  const free = Array.from({ length: 254 }, (_, i) => i + 1).filter((octet) => !used.has(octet));
  if (free.length === 0) throw new Error("no free 10.216.N.0/24 subnet for the lab's hosts");
  const octet = free[randomBytes(1)[0]! % free.length]!;
  const plan = hostNetworkPlan(randomBytes(2).toString("hex"), octet, names);
  const close = () => teardownEach(plan.teardown);
  try {
    await runAll(plan.setup);
  } catch (error) {
    await teardownEach(plan.teardown);
    throw error;
  }
  return {
    subnet: plan.subnet,
    gateway: plan.gateway,
    hosts: plan.hosts.map((host) => ({
      name: host.name,
      netns: host.netns,
      address: host.address,
      exec: ["ip", "netns", "exec", host.netns],
      cut: () => runAll(cutOffCommands(host.netns, "cut")),
      reconnect: () => runAll(cutOffCommands(host.netns, "reconnect")),
    })),
    close,
  };
}

/** Teardown that goes on past a step that fails (a half-made network). */
async function teardownEach(commands: readonly string[][]): Promise<void> {
  for (const [command, ...args] of commands) await run(command!, args).catch(() => undefined);
}
