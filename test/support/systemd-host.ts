/**
 * A real Debian 12 host with systemd as PID 1 and sshd, on this machine: a systemd-nspawn
 * container booted from a cached debootstrap (systemd-host/rootfs.sh), with the host packages the
 * stack installs already in it. It has a network namespace of its own, joined to this machine by
 * a veth pair (host side .1, container side .2 of a /30), so its sshd and libvirt stay off the
 * machine's own network; while it runs, NAT lets it reach the Debian mirror for `apt-get update`.
 * Its root is a throwaway overlay (`--volatile=overlay`): the cached tree is never changed.
 *
 * The container's /etc/libvirt/qemu.conf has `cgroup_controllers = [ ]`, a property of this
 * container (cgroups v1, read-only inside), not of the hosts the stack provisions.
 */
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { waitFor } from "../../runtime/lab/controller-process.ts";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const rootfsCache = process.env.RF_SYSTEMD_HOST_CACHE ?? "/var/cache/runner-fleet/systemd-host";

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Builds (or finds) the cached root filesystem with `packages` preinstalled; returns its path. */
export async function systemdHostRootfs(packages: string[]): Promise<string> {
  const { stdout } = await run("bash", [join(here, "systemd-host/rootfs.sh"), rootfsCache, ...packages], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 900_000,
  });
  return stdout.trim().split("\n").at(-1)!;
}

export class SystemdHost {
  /** The container's address, as the stack config's `address` names it. */
  readonly address: string;
  /** This machine's end of the veth pair: where the container reaches services we run. */
  readonly gateway: string;
  private readonly work = mkdtempSync(join(tmpdir(), "rf-systemd-host-"));
  private container?: ChildProcess;
  private readonly undo: (() => Promise<unknown>)[] = [];

  private constructor(
    private readonly name: string,
    private readonly rootfs: string,
    octet: number,
  ) {
    this.gateway = `10.251.${octet}.1`;
    this.address = `10.251.${octet}.2`;
  }

  static async boot(rootfs: string): Promise<SystemdHost> {
    const octet = 100 + (process.pid % 100);
    const host = new SystemdHost(`rfsh${process.pid}`, rootfs, octet);
    try {
      await host.network();
      await host.start();
    } catch (error) {
      await host.close();
      throw error;
    }
    return host;
  }

  private async sh(command: string): Promise<void> {
    await run("bash", ["-ec", command]);
  }

  private async network(): Promise<void> {
    const { name, gateway, address } = this;
    const subnet = `${gateway.replace(/\.1$/, ".0")}/30`;
    await this.sh(`ip netns add ${name}`);
    this.undo.push(() => this.sh(`ip netns delete ${name}`));
    await this.sh(
      [
        `ip link add ${name} type veth peer name host0 netns ${name}`,
        `ip addr add ${gateway}/30 dev ${name}`,
        `ip link set ${name} up`,
        `ip -n ${name} addr add ${address}/30 dev host0`,
        `ip -n ${name} link set host0 up`,
        `ip -n ${name} link set lo up`,
        `ip -n ${name} route add default via ${gateway}`,
      ].join("\n"),
    );
    this.undo.push(() => this.sh(`ip link delete ${name} 2>/dev/null || true`));
    // NAT for apt only while the host runs; the previous forwarding setting comes back after.
    const forwarding = readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim();
    const rules = [
      `-t nat -A POSTROUTING -s ${subnet} ! -d ${subnet} -j MASQUERADE`,
      `-I FORWARD -s ${subnet} -j ACCEPT`,
      `-I FORWARD -d ${subnet} -j ACCEPT`,
    ];
    for (const rule of rules) {
      await this.sh(`iptables ${rule}`);
      this.undo.push(() => this.sh(`iptables ${rule.replace(/-[AI] /, "-D ")}`));
    }
    writeFileSync("/proc/sys/net/ipv4/ip_forward", "1");
    this.undo.push(async () => writeFileSync("/proc/sys/net/ipv4/ip_forward", forwarding));
  }

  private async start(): Promise<void> {
    const key = join(this.work, "id_ed25519");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    writeFileSync(join(this.work, "authorized_keys"), readFileSync(`${key}.pub`), { mode: 0o600 });
    const hostKey = readFileSync(join(this.rootfs, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
    writeFileSync(join(this.work, "known_hosts"), `${this.address} ${hostKey}\n`);
    const console = join(this.work, "console.log");
    this.container = spawn(
      "systemd-nspawn",
      [
        "--boot",
        `--directory=${this.rootfs}`,
        "--volatile=overlay",
        "--register=no",
        "--keep-unit",
        `--machine=${this.name}`,
        `--network-namespace-path=/run/netns/${this.name}`,
        // Its own network namespace, so libvirt may make bridges and rules there.
        "--capability=CAP_NET_ADMIN,CAP_NET_RAW",
        `--bind-ro=${join(this.work, "authorized_keys")}:/root/.ssh/authorized_keys`,
      ],
      // libvirt writes its bridges' settings below /proc/sys/net, read-only in a container by default.
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SYSTEMD_NSPAWN_API_VFS_WRITABLE: "network" } },
    );
    let output = "";
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
    this.container.stdout!.on("data", keep);
    this.container.stderr!.on("data", keep);
    this.container.on("exit", () => writeFileSync(console, output));
    await waitFor(
      `sshd in the systemd host (console: ${console})`,
      120_000,
      async () => (await this.ssh("systemctl is-system-running --wait || true")).stdout.trim().length > 0,
      undefined,
      1_000,
    );
  }

  /** `ssh root@host COMMAND`, with `input` on stdin; the host key is pinned. */
  ssh(command: string, input = ""): Promise<SshResult> {
    const key = join(this.work, "id_ed25519");
    return new Promise((resolve) => {
      const child = execFile(
        "ssh",
        [
          "-i", key,
          "-o", `UserKnownHostsFile=${join(this.work, "known_hosts")}`,
          "-o", "StrictHostKeyChecking=yes",
          "-o", "BatchMode=yes",
          "-o", "ConnectTimeout=5",
          `root@${this.address}`,
          command,
        ],
        { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 255) : 0, stdout, stderr }),
      );
      child.stdin!.end(input);
    });
  }

  /** Fails with the remote output unless the command succeeds. */
  async ok(command: string, input = ""): Promise<string> {
    const result = await this.ssh(command, input);
    if (result.code !== 0) throw new Error(`on the systemd host, \`${command}\` failed (${result.code}):\n${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  async close(): Promise<void> {
    if (this.container && this.container.exitCode === null) {
      // poweroff lets systemd stop libvirtd and the units; a stuck container is killed.
      await this.ssh("systemctl poweroff --no-block").catch(() => undefined);
      const exited = new Promise((resolve) => this.container!.once("exit", resolve));
      const timer = setTimeout(() => this.container!.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    }
    for (const step of this.undo.reverse()) await step().catch(() => undefined);
    rmSync(this.work, { recursive: true, force: true });
  }
}
