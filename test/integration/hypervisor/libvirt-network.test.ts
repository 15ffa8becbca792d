/**
 * The production network filter on a real guest: the lab's libvirt network and nwfilter, rendered
 * by the same code as production's (runtime/hypervisor/libvirt/network-xml.ts), with the one
 * opening the lab adds: the emulator's runner listener. One guest, one job whose step probes,
 * from inside the guest, everything a runner must not reach and the two things it must.
 *
 * Every probe target is on this machine and could answer: a listener on the host's bridge address
 * (the controller and the emulator listen on 0.0.0.0 here, as a production host may; an SSH
 * stand-in on port 22) or on a stand-in address added to the bridge for each blocked range. The
 * guest's default route is the host (the static address the controller assigned, on its kernel
 * command line and in its filter's IP parameter), so only the filter stands between the
 * guest and each of them. The network is isolated: the host forwards nothing, so no probe can
 * leave the machine even if the filter failed. 169.254.169.254 is probed but not stood in for
 * (the machine's own metadata service may live there).
 */
import { readFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startLibvirtFleet, type LibvirtFleet } from "../../support/libvirt-fleet.ts";
import { describeWithLibvirt, ensureLabImage } from "../../support/lab-image.ts";
import { ipv4ToNumber, planSubnet } from "../../../runtime/protocol/guest-network.ts";

const run = promisify(execFile);

/** One stand-in address per range the filter must drop, and one it must not (TEST-NET-2 for "the internet"). */
const standIns = {
  "private 10/8": "10.216.0.9",
  "private 172.16/12": "172.31.216.9",
  "private 192.168/16": "192.168.216.9",
  "CGNAT 100.64/10": "100.127.216.9",
  "link-local 169.254/16": "169.254.216.9",
  internet: "198.51.100.9",
} as const;

interface Probe {
  name: string;
  host: string;
  port: number;
  /** HTTP GET of this path; without it, a bare TCP connect. */
  path?: string;
}

/** The step: every probe at once, 5 s each, one JSON line per result. Node is in the image. */
function probeStep(probes: Probe[]): string {
  const script = `
const http = require("node:http"), net = require("node:net");
const probes = ${JSON.stringify(probes)};
const say = (p, result) => console.log(JSON.stringify({ name: p.name, result }));
for (const p of probes) {
  if (p.path) {
    const req = http.get({ host: p.host, port: p.port, path: p.path, timeout: 5000 }, (res) => { say(p, "http " + res.statusCode); res.resume(); });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => say(p, "unreachable " + (e.code || e.message)));
  } else {
    const s = net.connect({ host: p.host, port: p.port, timeout: 5000 }, () => { say(p, "connected"); s.destroy(); });
    s.on("timeout", () => s.destroy(new Error("timeout")));
    s.on("error", (e) => say(p, "unreachable " + (e.code || e.message)));
  }
}`;
  return `cat >probe.js <<'EOF'\n${script}\nEOF\nnode --jitless probe.js`;
}

await describeWithLibvirt("a guest on the project's own network and nwfilter", () => {
  let fleet: LibvirtFleet;
  let gateway: string;
  let bridge: string;
  const servers: (Server | TcpServer)[] = [];

  const listen = (server: Server | TcpServer, host: string, port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
      servers.push(server);
    });

  beforeAll(async () => {
    await ensureLabImage();
    fleet = await startLibvirtFleet({ pool: { min: 1, max: 1 }, listenHost: "0.0.0.0", emulator: { host: "0.0.0.0" } });
    gateway = fleet.lab.labNetwork!.gateway;
    bridge = fleet.lab.labNetwork!.bridge;
    for (const address of Object.values(standIns)) {
      await run("ip", ["addr", "add", `${address}/32`, "dev", bridge]);
      await listen(createHttpServer((_req, res) => res.end("reached\n")), address, 80);
    }
    await listen(createTcpServer((socket) => socket.end("SSH-2.0-stand-in\r\n")), gateway, 22);
    await fleet.start();
  }, 240_000);

  afterAll(async () => {
    for (const server of servers) server.close();
    await fleet?.close();
  });

  it("reaches the runner listener and the internet, and nothing else on the host or in private ranges; QEMU keeps its sandbox", async () => {
    const controllerPort = Number(new URL(fleet.controller!.url).port);
    const emulatorPort = fleet.emulator.port;
    const runnerPort = fleet.emulator.runnerListener!.port;

    // Controls from the host: every target answers, so a guest that cannot reach one was stopped by the filter.
    for (const address of Object.values(standIns)) expect(await (await fetch(`http://${address}/`)).text()).toBe("reached\n");
    // The admin API refuses anyone but loopback, whatever address the emulator listens on.
    expect((await fetch(`http://${gateway}:${emulatorPort}/_emulator/state`)).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${emulatorPort}/_emulator/state`)).status).toBe(200);

    await fleet.waitForIdle(1);
    // Asked once a pass has completed: before that /healthz answers 503 by design.
    expect((await fetch(`http://${gateway}:${controllerPort}/healthz`)).status).toBe(200);
    // The sandbox, read from the running domain's QEMU process.
    const [domain] = await fleet.hypervisor.listDomains(fleet.prefix);
    const pid = (await readFile(`/run/libvirt/qemu/${domain!.name}.pid`, "utf8")).trim();
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
    const sandbox = argv[argv.indexOf("-sandbox") + 1];
    // The controller's address, in the static half: on the kernel command line and the filter's IP
    // (clean-traffic drops anything else the guest sends, so the job below proves the guest took it).
    const { stdout: xml } = await run("virsh", ["-c", "qemu:///system", "dumpxml", domain!.name]);
    const address = /<parameter name='IP' value='([\d.]+)'\/>/.exec(xml)?.[1];
    const plan = planSubnet(fleet.lab.labNetwork!.subnet);
    expect(ipv4ToNumber(address!)).toBeGreaterThanOrEqual(ipv4ToNumber(plan.staticStart));
    expect(ipv4ToNumber(address!)).toBeLessThanOrEqual(ipv4ToNumber(plan.staticEnd));
    expect(argv.join(" ")).toContain(`rf.net=static:${address}/24:${gateway}`);

    const probes: Probe[] = [
      { name: "runner protocol", host: gateway, port: runnerPort, path: "/_runner/sessions" },
      { name: "admin API on the runner listener", host: gateway, port: runnerPort, path: "/_emulator/state" },
      { name: "REST API on the runner listener", host: gateway, port: runnerPort, path: "/api/v3/orgs/acme/actions/runners" },
      { name: "admin API", host: gateway, port: emulatorPort, path: "/_emulator/state" },
      { name: "REST API", host: gateway, port: emulatorPort, path: "/api/v3/orgs/acme/actions/runners" },
      { name: "controller /healthz", host: gateway, port: controllerPort, path: "/healthz" },
      { name: "controller /metrics", host: gateway, port: controllerPort, path: "/metrics" },
      { name: "host SSH", host: gateway, port: 22 },
      { name: "metadata 169.254.169.254", host: "169.254.169.254", port: 80, path: "/latest/meta-data/" },
      ...Object.entries(standIns).map(([name, host]) => ({ name, host, port: 80, path: "/" })),
    ];
    const [job] = fleet.enqueue(1, [{ name: "probe", run: probeStep(probes) }]);
    await fleet.waitForJobs([job!], 300_000);
    const view = fleet.emulator.job(job!.jobId)!;
    const log = view.steps[0]?.log ?? "";
    const results = Object.fromEntries(
      log.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { name: string; result: string }).map((r) => [r.name, r.result]),
    );
    const reached = (result: string | undefined) => result !== undefined && !result.startsWith("unreachable");
    expect(Object.keys(results).sort(), log).toEqual(probes.map((p) => p.name).sort());

    // What a runner needs: the runner protocol (its job came through it) and the internet.
    expect(view.conclusion).toBe("success");
    expect(reached(results["runner protocol"])).toBe(true);
    expect(results.internet).toBe("http 200");
    // The runner listener serves nothing else.
    expect(results["admin API on the runner listener"]).toBe("http 404");
    expect(results["REST API on the runner listener"]).toBe("http 404");
    // Everything else is dropped by the filter (a timeout, not a refusal: nothing answers at all).
    const blocked = probes.map((p) => p.name).filter((name) => !["runner protocol", "internet", "admin API on the runner listener", "REST API on the runner listener"].includes(name));
    for (const name of blocked) expect(results[name], name).toBe("unreachable timeout");
    process.stdout.write(`guest probes: ${JSON.stringify(results)}\n`);
    // Last, so a machine set up by an earlier version still shows every probe above.
    expect(sandbox, "QEMU's seccomp sandbox (seccomp_sandbox in /etc/libvirt/qemu.conf; scripts/setup-machine.sh restores it)").toMatch(/^on,.*spawn=deny/);
  }, 400_000);
});
