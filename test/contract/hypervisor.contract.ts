/**
 * The Hypervisor port's contract: every implementation (libvirt, in-memory) runs these same
 * tests, so the double cannot drift from the real thing. Each environment supplies a guest that
 * stays up (boot from a disk with no bootloader: SeaBIOS retries forever) and a guest that runs
 * the lab image's init and agent (reads its JIT config from fw_cfg, reaches the server on the
 * network's host address, powers off), or, given a job channel and no fw_cfg entry, waits for its
 * JIT config on the channel.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chmod, mkdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  BootSource,
  DomainSpec,
  Hypervisor,
  HypervisorEvent,
  NetworkAttachment,
} from "../../runtime/ports/hypervisor.ts";
import { DomainNotFoundError, DomainStateError, JobChannelError, OverlayError, SecretFileError } from "../../runtime/hypervisor/errors.ts";
import { InvalidDomainSpecError } from "../../runtime/hypervisor/spec-validation.ts";
import { mintJitConfig } from "../../runtime/protocol/jit-config.ts";
import { jitConfigFwCfgName } from "../../runtime/protocol/fw-cfg.ts";
import { channelWaitingLine } from "../../runtime/protocol/job-channel.ts";

export interface HypervisorContractEnv {
  hypervisor: Hypervisor;
  /** Unique per run; every domain and overlay the suite creates starts with it. */
  prefix: string;
  /** Scratch directory QEMU can reach (overlays, serial logs, secret files). */
  dir: string;
  /** An existing base image for overlays. */
  baseImage: string;
  /** Boots a guest that runs until destroyed. */
  bootStaysUp: BootSource;
  /** Boots the lab guest: fw_cfg JIT config → agent → server on `serverHost` → poweroff. */
  bootRunsAgent: BootSource;
  /** The network every domain of the suite is attached to. */
  network: NetworkAttachment;
  /** The host address guests reach the suite's server on. */
  serverHost: string;
  /** Opens the server's port to guests (the network's filter), before any guest starts. */
  allowServerPort(port: number): Promise<void>;
  /** Upper bound for a lab guest to boot, run the agent and power off. */
  guestLifeMs: number;
  /** Removes everything with `prefix` (runs even when tests failed). */
  cleanup(): Promise<void>;
}

export function describeHypervisorContract(name: string, makeEnv: () => Promise<HypervisorContractEnv>): void {
  describe(`Hypervisor contract: ${name}`, () => {
    let env: HypervisorContractEnv;
    let hv: Hypervisor;
    let sink: TokenSink;
    let counter = 0;
    const unique = (label: string) => `${env.prefix}${label}-${++counter}`;

    beforeAll(async () => {
      env = await makeEnv();
      sink = await startTokenSink(env.serverHost);
      await env.allowServerPort(sink.port);
      hv = env.hypervisor;
    });

    afterAll(async () => {
      await env?.cleanup();
      await sink?.close();
    });

    async function specFor(name: string, overrides: Partial<DomainSpec> = {}): Promise<DomainSpec> {
      const disk = join(env.dir, `${name}.qcow2`);
      await hv.createOverlay(env.baseImage, disk);
      return {
        name,
        vcpus: 1,
        memoryMiB: 512,
        disk,
        boot: env.bootStaysUp,
        fwCfg: [],
        network: env.network,
        serialLog: join(env.dir, `${name}.log`),
        metadata: { pool: "small", createdAt: "2026-01-02T03:04:05.678Z" },
        ...overrides,
      };
    }

    async function writeSecret(name: string, content: string): Promise<string> {
      const path = join(env.dir, `${name}.jit`);
      await writeFile(path, content, { mode: 0o600 });
      await hv.shareSecretFile(path);
      return path;
    }

    /** A JIT config whose runner dials the sink (which refuses it), and the token it shows. */
    function sinkJitConfig(name: string): { token: string; jitConfig: string } {
      const token = `tok-${name}`;
      const jitConfig = mintJitConfig({
        agentId: 7,
        agentName: name,
        poolId: 1,
        poolName: "Default",
        serverUrl: `http://${env.serverHost}:${sink.port}/_runner/`,
        gitHubUrl: "https://github.example/acme",
        workFolder: "_work",
        clientId: token,
      });
      return { token, jitConfig };
    }

    async function stateOf(name: string) {
      const found = (await hv.listDomains(name)).find((d) => d.name === name);
      return found?.state;
    }

    describe("domains", () => {
      it("defines a shut-off domain whose metadata round-trips, awkward characters included", async () => {
        const name = unique("meta");
        const pool = `p'o"o<l>&amp;\t\n ü 🚀 ]]> --`;
        await hv.defineDomain(await specFor(name, { metadata: { pool, createdAt: "2026-05-06T07:08:09.000Z" } }));
        expect(await hv.listDomains(name)).toEqual([
          { name, state: "shutoff", metadata: { pool, createdAt: "2026-05-06T07:08:09.000Z" } },
        ]);
      });

      it("lists only the domains whose names start with the prefix", async () => {
        const a1 = unique("lista");
        const a2 = `${a1}x`;
        const b = unique("listb");
        for (const name of [a1, a2, b]) await hv.defineDomain(await specFor(name));
        const listed = await hv.listDomains(a1);
        expect(listed.map((d) => d.name).sort()).toEqual([a1, a2]);
        expect(await hv.listDomains(`${env.prefix}no-such-`)).toEqual([]);
      });

      it("redefining a stopped domain replaces its definition", async () => {
        const name = unique("redefine");
        const spec = await specFor(name);
        await hv.defineDomain(spec);
        await hv.defineDomain({ ...spec, vcpus: 2, metadata: { pool: "large", createdAt: "2026-02-03T00:00:00.000Z" } });
        expect(await hv.listDomains(name)).toEqual([
          { name, state: "shutoff", metadata: { pool: "large", createdAt: "2026-02-03T00:00:00.000Z" } },
        ]);
      });

      it("starts, destroys and undefines; destroy, undefine and start are idempotent", async () => {
        const name = unique("life");
        await hv.defineDomain(await specFor(name));
        await hv.startDomain(name);
        expect(await stateOf(name)).toBe("running");
        await hv.startDomain(name);
        expect(await stateOf(name)).toBe("running");

        await hv.destroyDomain(name);
        expect(await stateOf(name)).toBe("shutoff");
        await hv.destroyDomain(name);

        await hv.undefineDomain(name);
        expect(await hv.listDomains(name)).toEqual([]);
        await hv.undefineDomain(name);
        await hv.destroyDomain(name);
      });

      it("removes a domain in one call whether it runs, is shut off or is missing", async () => {
        const running = unique("rmrun");
        await hv.defineDomain(await specFor(running));
        await hv.startDomain(running);
        await hv.removeDomain(running);
        expect(await hv.listDomains(running)).toEqual([]);

        const stopped = unique("rmoff");
        await hv.defineDomain(await specFor(stopped));
        await hv.removeDomain(stopped);
        expect(await hv.listDomains(stopped)).toEqual([]);

        await hv.removeDomain(stopped);
        await hv.removeDomain(unique("rmnone"));
      });

      it("refuses to redefine or undefine a running domain", async () => {
        const name = unique("busy");
        const spec = await specFor(name);
        await hv.defineDomain(spec);
        await hv.startDomain(name);
        await expect(hv.defineDomain({ ...spec, vcpus: 2 })).rejects.toBeInstanceOf(DomainStateError);
        await expect(hv.undefineDomain(name)).rejects.toBeInstanceOf(DomainStateError);
        expect(await stateOf(name)).toBe("running");
        await hv.destroyDomain(name);
        await hv.undefineDomain(name);
      });

      it("fails to start a domain that is not defined", async () => {
        await expect(hv.startDomain(unique("ghost"))).rejects.toBeInstanceOf(DomainNotFoundError);
      });

      it("rejects an invalid spec, naming the field, before touching anything", async () => {
        const name = unique("invalid");
        const spec = await specFor(name);
        const cases: [Partial<DomainSpec>, string][] = [
          [{ name: "has space" }, "name"],
          [{ name: "12345" }, "name"],
          [{ vcpus: 0 }, "vcpus"],
          [{ disk: "relative.qcow2" }, "disk"],
          [{ fwCfg: [{ name: "etc/not-opt", file: "/tmp/x" }] }, "fwCfg[0].name"],
          [{ metadata: { pool: "p", createdAt: "yesterday" } }, "metadata.createdAt"],
          [{ metadata: { pool: "nul\u0000", createdAt: spec.metadata.createdAt } }, "metadata.pool"],
          [{ network: { kind: "libvirt-network", network: "" } }, "network.network"],
        ];
        for (const [override, field] of cases) {
          const error = await hv.defineDomain({ ...spec, ...override }).catch((e: unknown) => e);
          expect(error, field).toBeInstanceOf(InvalidDomainSpecError);
          expect((error as InvalidDomainSpecError).field).toBe(field);
        }
        expect(await hv.listDomains(name)).toEqual([]);
      });
    });

    describe("fw_cfg and the guest", () => {
      it("fails to start when an fw_cfg file is missing, leaving the domain shut off", async () => {
        const name = unique("nofile");
        await hv.defineDomain(
          await specFor(name, { fwCfg: [{ name: jitConfigFwCfgName, file: join(env.dir, `${name}.missing`) }] }),
        );
        await expect(hv.startDomain(name)).rejects.toThrow();
        expect(await stateOf(name)).toBe("shutoff");
      });

      it("reads the fw_cfg file at start: deleted at once, the guest still gets it, runs the agent and powers off", async () => {
        const name = unique("agent");
        const { token, jitConfig } = sinkJitConfig(name);
        const secret = await writeSecret(name, jitConfig);
        const events: HypervisorEvent[] = [];
        const unsubscribe = hv.watch((event) => {
          if (event.domain === name) events.push(event);
        });
        try {
          await hv.defineDomain(await specFor(name, { boot: env.bootRunsAgent, fwCfg: [{ name: jitConfigFwCfgName, file: secret }] }));
          await hv.startDomain(name);
          await rm(secret);

          await waitFor(async () => (await stateOf(name)) === "shutoff", env.guestLifeMs, "the guest to power off");
          // The sink answered 401: the agent was refused and the guest powered off by itself.
          expect(sink.tokensSeen).toContain(token);
          const console = await readFile(join(env.dir, `${name}.log`), "utf8");
          expect(console).toContain("the server refused this runner");
          expect(console).not.toContain(token);
          await waitFor(async () => events.some((e) => e.state === "shutoff"), 5_000, "a shutoff event");
        } finally {
          unsubscribe();
        }
      });

      it("a guest without a JIT config powers off by itself, with a lifecycle event", async () => {
        const name = unique("nojit");
        const events: HypervisorEvent[] = [];
        const unsubscribe = hv.watch((event) => {
          if (event.domain === name) events.push(event);
        });
        try {
          await hv.defineDomain(await specFor(name, { boot: env.bootRunsAgent }));
          await hv.startDomain(name);
          await waitFor(async () => (await stateOf(name)) === "shutoff", env.guestLifeMs, "the guest to power off");
          expect(await readFile(join(env.dir, `${name}.log`), "utf8")).toContain("no JIT config in fw_cfg");
          await waitFor(async () => events.some((e) => e.state === "shutoff"), 5_000, "a shutoff event");
          expect(events.at(-1)).toEqual({ kind: "lifecycle", domain: name, state: "shutoff" });
        } finally {
          unsubscribe();
        }
      });
    });

    describe("save and restore", () => {
      it("saves a running domain and restores the state twice, side by side, under new names with their own disks", async () => {
        const template = unique("tmpl");
        const templateSpec = await specFor(template);
        await hv.defineDomain(templateSpec);
        await hv.startDomain(template);
        const stateFile = join(env.dir, `${template}.state`);
        await hv.saveDomain(template, stateFile);
        expect(await stateOf(template)).toBe("shutoff");
        expect((await stat(stateFile)).mode & 0o077).toBe(0);
        await expect(hv.saveDomain(template, join(env.dir, `${template}.again`))).rejects.toBeInstanceOf(DomainStateError);

        const restored = [unique("rest"), unique("rest")];
        for (const name of restored) {
          const disk = join(env.dir, `${name}.qcow2`);
          await hv.createOverlay(templateSpec.disk, disk);
          await hv.restoreDomain(stateFile, { ...templateSpec, name, disk, serialLog: join(env.dir, `${name}.log`), metadata: { pool: "small", createdAt: "2026-03-04T05:06:07.000Z" } });
        }
        for (const name of restored) {
          expect(await hv.listDomains(name)).toEqual([{ name, state: "running", metadata: { pool: "small", createdAt: "2026-03-04T05:06:07.000Z" } }]);
        }
        // Persistent like a booted domain: stopped, it stays listed until removed.
        await hv.destroyDomain(restored[0]!);
        expect(await stateOf(restored[0]!)).toBe("shutoff");
        for (const name of [...restored, template]) await hv.removeDomain(name);
        expect(await stateOf(template)).toBeUndefined();
      });

      it("refuses a missing or foreign state file, a taken name and another shape, leaving no domain behind", async () => {
        const template = unique("tmplbad");
        const spec = await specFor(template);
        await expect(hv.saveDomain(unique("ghost"), join(env.dir, "ghost.state"))).rejects.toBeInstanceOf(DomainNotFoundError);
        await hv.defineDomain(spec);
        await expect(hv.saveDomain(template, join(env.dir, `${template}.state`))).rejects.toBeInstanceOf(DomainStateError);
        await hv.startDomain(template);
        const stateFile = join(env.dir, `${template}.state`);
        await hv.saveDomain(template, stateFile);

        const foreign = join(env.dir, `${template}.foreign`);
        await writeFile(foreign, "not a saved state", { mode: 0o600 });
        const name = unique("restbad");
        const target = { ...(await specFor(name)), memoryMiB: spec.memoryMiB };
        await expect(hv.restoreDomain(join(env.dir, "missing.state"), target)).rejects.toThrow();
        await expect(hv.restoreDomain(foreign, target)).rejects.toThrow();
        await expect(hv.restoreDomain(stateFile, { ...target, memoryMiB: spec.memoryMiB * 2 })).rejects.toThrow(/shape|memory/);
        await expect(hv.restoreDomain(stateFile, { ...target, name: template })).rejects.toThrow();
        expect(await hv.listDomains(name)).toEqual([]);
        expect(await stateOf(template)).toBe("shutoff");
      });
    });

    describe("job channel", () => {
      async function channelSocket(name: string): Promise<string> {
        // Root-only, as the controller makes it: the hypervisor creates the socket in it.
        const dir = join(env.dir, "channels");
        await mkdir(dir, { recursive: true, mode: 0o700 });
        return join(dir, `${name}.sock`);
      }

      it("a guest without fw_cfg waits on its channel, acks its job, runs the agent and powers off; the socket goes with it", async () => {
        const name = unique("claim");
        const { token, jitConfig } = sinkJitConfig(name);
        const socket = await channelSocket(name);
        await hv.defineDomain(await specFor(name, { boot: env.bootRunsAgent, jobChannel: socket }));
        await hv.startDomain(name);
        const log = join(env.dir, `${name}.log`);
        await waitFor(async () => (await readFile(log, "utf8")).includes(channelWaitingLine), env.guestLifeMs, "the guest to wait on its channel");
        // Connecting to a unix socket takes write permission: nobody but its owner, group and root.
        expect((await stat(socket)).mode & 0o002).toBe(0);

        await hv.sendToGuest(socket, { type: "job", id: "job-1", jitConfig }, { timeoutMs: 10_000 });
        await waitFor(async () => (await stateOf(name)) === "shutoff", env.guestLifeMs, "the guest to power off");
        // The sink answered 401: the agent took the config from the channel and dialed with it.
        expect(sink.tokensSeen).toContain(token);
        const console = await readFile(log, "utf8");
        expect(console).toContain("channel message job job-1: applied");
        expect(console).toContain("the server refused this runner");
        expect(console).not.toContain(token);
        await expect(stat(socket)).rejects.toThrow();
      });

      it("a guest that never opens its channel acks nothing: the send times out", async () => {
        const name = unique("deaf");
        const socket = await channelSocket(name);
        await hv.defineDomain(await specFor(name, { jobChannel: socket }));
        await hv.startDomain(name);
        const error = await hv.sendToGuest(socket, { type: "job", id: "j", jitConfig: "x" }, { timeoutMs: 1_500 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(JobChannelError);
        expect((error as JobChannelError).kind).toBe("timeout");
        expect((error as Error).message).not.toContain('"x"');
        await hv.destroyDomain(name);
      });

      it("sending to a domain that is not running fails at once, naming the socket", async () => {
        const socket = await channelSocket(unique("absent"));
        const started = Date.now();
        const error = await hv.sendToGuest(socket, { type: "job", id: "j", jitConfig: "x" }, { timeoutMs: 10_000 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(JobChannelError);
        expect((error as JobChannelError).kind).toBe("unreachable");
        expect((error as Error).message).toContain(socket);
        expect(Date.now() - started).toBeLessThan(5_000);
      });
    });

    describe("watch", () => {
      it("delivers lifecycle events until unsubscribed", async () => {
        const name = unique("watch");
        await hv.defineDomain(await specFor(name));
        const kept: HypervisorEvent[] = [];
        const dropped: HypervisorEvent[] = [];
        const stopKept = hv.watch((e) => e.domain === name && kept.push(e));
        const stopDropped = hv.watch((e) => e.domain === name && dropped.push(e));
        try {
          stopDropped();
          stopDropped();
          await settle();
          await hv.startDomain(name);
          await waitFor(async () => kept.some((e) => e.state === "running"), 5_000, "a running event");
          await hv.destroyDomain(name);
          await waitFor(async () => kept.some((e) => e.state === "shutoff"), 5_000, "a shutoff event");
          expect(dropped).toEqual([]);
          expect(kept.at(-1)).toEqual({ kind: "lifecycle", domain: name, state: "shutoff" });
        } finally {
          stopKept();
        }
      });
    });

    describe("overlays", () => {
      it("creates an overlay on a base, lists it by prefix, refuses to overwrite it, removes it idempotently", async () => {
        const overlayDir = join(env.dir, "overlays");
        await mkdir(overlayDir, { recursive: true });
        const first = join(overlayDir, `${env.prefix}ov-a.qcow2`);
        const second = join(overlayDir, `${env.prefix}ov-b.qcow2`);
        const other = join(overlayDir, `other-${env.prefix}ov.qcow2`);
        await hv.createOverlay(env.baseImage, first);
        await hv.createOverlay(env.baseImage, second);
        await hv.createOverlay(env.baseImage, other);
        await expect(hv.createOverlay(env.baseImage, first)).rejects.toBeInstanceOf(OverlayError);

        const listed = await hv.listOverlays(overlayDir, `${env.prefix}ov-`);
        expect(listed.map((v) => v.path).sort()).toEqual([first, second]);
        for (const volume of listed) expect(volume.sizeBytes).toBeGreaterThan(0);

        await hv.removeOverlay(first);
        await hv.removeOverlay(first);
        expect((await hv.listOverlays(overlayDir, `${env.prefix}ov-`)).map((v) => v.path)).toEqual([second]);
        expect(await hv.listOverlays(join(env.dir, "no-such-dir"), "")).toEqual([]);
      });

      it("fails for a missing base image and leaves nothing behind", async () => {
        const path = join(env.dir, `${env.prefix}orphan.qcow2`);
        await expect(hv.createOverlay(join(env.dir, "no-such-base.qcow2"), path)).rejects.toBeInstanceOf(OverlayError);
        expect(await hv.listOverlays(env.dir, `${env.prefix}orphan`)).toEqual([]);
      });
    });

    describe("shareSecretFile", () => {
      it("accepts a 0600 file and keeps it unreadable for group and others", async () => {
        const path = join(env.dir, `${unique("secret")}.jit`);
        await writeFile(path, "s3cr3t", { mode: 0o600 });
        await hv.shareSecretFile(path);
        expect((await stat(path)).mode & 0o077).toBe(0);
      });

      it("refuses a file others can read, a missing file and a symlink", async () => {
        const open = join(env.dir, `${unique("open")}.jit`);
        await writeFile(open, "s3cr3t", { mode: 0o600 });
        await chmod(open, 0o644);
        await expect(hv.shareSecretFile(open)).rejects.toBeInstanceOf(SecretFileError);
        await expect(hv.shareSecretFile(join(env.dir, "missing.jit"))).rejects.toBeInstanceOf(SecretFileError);
        const target = join(env.dir, `${unique("target")}.jit`);
        await writeFile(target, "s3cr3t", { mode: 0o600 });
        const link = join(env.dir, `${unique("link")}.jit`);
        await symlink(target, link);
        await expect(hv.shareSecretFile(link)).rejects.toBeInstanceOf(SecretFileError);
      });
    });
  });
}

/** A loopback server that refuses every runner (401) and remembers the tokens it was shown. */
interface TokenSink {
  port: number;
  tokensSeen: string[];
  close(): Promise<void>;
}

async function startTokenSink(host: string): Promise<TokenSink> {
  const tokensSeen: string[] = [];
  const server: Server = createServer((req, res) => {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    if (match) tokensSeen.push(match[1] as string);
    req.resume();
    res.writeHead(401, { "content-type": "application/json", connection: "close" });
    res.end(JSON.stringify({ message: "Bad credentials" }));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    tokensSeen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Gives an event stream that just got its first subscriber time to connect. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 300));
}
