/**
 * What the stack writes on a host, checked by the tools that will read it: libvirt's own schemas
 * and parser for the network and filter, systemd's parser for the units, bash for the scripts.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostLayout } from "../../runtime/controller/endpoints.ts";
import {
  configInstallCommand,
  hostPackages,
  renderPackagesScript,
  renderStorageRemoveScript,
  renderStorageScript,
} from "../../components/host-scripts.ts";
import { hostUrls } from "../../components/host-urls.ts";
import {
  blockedHostAddresses,
  planSubnet,
  renderNetworkInstallScript,
  renderNetworkRemoveScript,
  renderNetworkXml,
  renderNwfilterXml,
  runnerNetwork,
} from "../../components/libvirt-network.ts";
import { shellQuote, writeFileScript } from "../../components/shell.ts";
import { ipv6Dropped } from "../../runtime/hypervisor/libvirt/network-xml.ts";
import {
  renderControllerUnit,
  renderRestartScript,
  renderUnits,
  renderUnitsInstallScript,
  renderUnitsRemoveScript,
  unitNames,
} from "../../components/systemd-units.ts";

const work = mkdtempSync(join(tmpdir(), "rf-stack-render-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}

function bashSyntaxOk(script: string): void {
  execFileSync("bash", ["-n"], { input: script });
}

const params = { subnet: "10.213.0.0/24", hostAddresses: ["203.0.113.10", "2001:db8::5", "hv1.example.net"] };

describe("the runner network", () => {
  it("plans gateway, netmask and DHCP range from the subnet", () => {
    expect(planSubnet("10.213.0.0/24")).toEqual({
      gateway: "10.213.0.1",
      netmask: "255.255.255.0",
      prefix: 24,
      dhcpStart: "10.213.0.2",
      dhcpEnd: "10.213.0.127",
      staticStart: "10.213.0.128",
      staticEnd: "10.213.0.254",
    });
    expect(planSubnet("172.20.8.0/22")).toEqual({
      gateway: "172.20.8.1",
      netmask: "255.255.252.0",
      prefix: 22,
      dhcpStart: "172.20.8.2",
      dhcpEnd: "172.20.9.255",
      staticStart: "172.20.10.0",
      staticEnd: "172.20.11.254",
    });
  });

  it("is a NAT network libvirt accepts", () => {
    const xml = renderNetworkXml(params);
    const validated = spawnSync("virt-xml-validate", [file("network.xml", xml), "network"], { encoding: "utf8" });
    expect(validated.error, "virt-xml-validate needs libvirt-clients and xmllint (libxml2-utils)").toBeUndefined();
    expect(validated.status, validated.stderr).toBe(0);
    // libvirt's own parser (the test driver needs no daemon) reads it back as we meant it.
    const dumped = execFileSync(
      "virsh",
      ["-q", "-c", "test:///default", `net-define ${file("network2.xml", xml)}; net-dumpxml ${runnerNetwork.network}`],
      { encoding: "utf8" },
    );
    expect(dumped).toContain("<forward mode='nat'");
    expect(dumped).toContain(`<bridge name='${runnerNetwork.bridge}'`);
    expect(dumped).toContain("<ip address='10.213.0.1' netmask='255.255.255.0'>");
    expect(dumped).toContain("<range start='10.213.0.2' end='10.213.0.127'/>");
  });

  it("has a guest filter libvirt's schema accepts", () => {
    const validated = spawnSync("virt-xml-validate", [file("filter.xml", renderNwfilterXml(params)), "nwfilter"], {
      encoding: "utf8",
    });
    expect(validated.error, "virt-xml-validate needs libvirt-clients and xmllint (libxml2-utils)").toBeUndefined();
    expect(validated.status, validated.stderr).toBe(0);
  });

  it("lets guests use DHCP and DNS, then blocks the host and every private range, then allows the internet", () => {
    const xml = renderNwfilterXml(params);
    const rules = [...xml.matchAll(/<rule action='(\w+)' direction='(\w+)' priority='(\d+)'( statematch='false')?>\s*<([\w-]+)\s*([^/]*)\/>/g)].map(
      ([, action, direction, priority, stateless, protocol, attrs]) => ({ action, direction, priority: Number(priority), stateless: stateless !== undefined, protocol, attrs }),
    );
    const first = (predicate: (r: (typeof rules)[number]) => boolean) => rules.filter(predicate).map((r) => r.priority);
    const accepts = first((r) => r.action === "accept" && /dstportstart='(53|67)'/.test(r.attrs!));
    const drops = first((r) => r.action === "drop" && r.direction === "out");
    const internet = first((r) => r.action === "accept" && r.attrs === "");
    expect(Math.max(...accepts)).toBeLessThan(Math.min(...drops));
    expect(Math.max(...drops)).toBeLessThan(Math.min(...internet));
    // Drops need no connection tracking (libvirt writes fewer iptables rules for them).
    const dropped = rules.filter((r) => r.action === "drop" && r.direction === "out").map((r) => r.attrs);
    for (const range of [
      "dstipaddr='10.213.0.1'",
      "dstipaddr='203.0.113.10'",
      "dstipaddr='10.0.0.0' dstipmask='8'",
      "dstipaddr='172.16.0.0' dstipmask='12'",
      "dstipaddr='192.168.0.0' dstipmask='16'",
      "dstipaddr='169.254.0.0' dstipmask='16'",
      "dstipaddr='100.64.0.0' dstipmask='10'",
      "dstipaddr='127.0.0.0' dstipmask='8'",
      "dstipaddr='224.0.0.0' dstipmask='3'",
    ]) {
      expect(dropped, range).toContain(range);
    }
    expect(rules.filter((r) => r.action === "drop" && r.direction === "out").every((r) => r.stateless)).toBe(true);
    expect(rules.filter((r) => r.action === "accept").some((r) => r.stateless)).toBe(false);
    // No IPv6 rule: clean-traffic drops every frame that is not IPv4 or ARP, IPv6 included.
    expect(xml).not.toContain("ipv6");
    expect(ipv6Dropped).toBe("clean-traffic");
    // DNS only to the gateway, and nothing may connect in.
    expect(xml).toContain("<udp dstipaddr='10.213.0.1' dstportstart='53'/>");
    expect(rules.filter((r) => r.direction === "in" && r.action === "drop").map((r) => r.protocol)).toEqual(["all"]);
    expect(xml).toContain("<filterref filter='clean-traffic'/>");
  });

  it("blocks literal host addresses only (a hostname cannot be filtered) and never the wildcard", () => {
    expect(blockedHostAddresses({ subnet: "10.9.0.0/24", hostAddresses: ["0.0.0.0", "::", "host.example", "192.0.2.7"] })).toEqual({
      ipv4: ["10.9.0.1", "192.0.2.7"],
      ipv6: [],
    });
  });

  it("installs and removes with valid, idempotent scripts", () => {
    const install = renderNetworkInstallScript(params);
    bashSyntaxOk(install);
    bashSyntaxOk(renderNetworkRemoveScript());
    expect(install).toContain(renderNetworkXml(params));
    expect(install).toContain(renderNwfilterXml(params));
    expect(install.indexOf("nwfilter-define")).toBeLessThan(install.indexOf("net-start"));
    // A second run redefines in place: libvirt refuses a known name without its UUID (found on a
    // real host, test/integration/host; that test runs the script twice).
    expect(install.indexOf("keep_uuid nwfilter")).toBeLessThan(install.indexOf("nwfilter-define"));
    expect(install.indexOf("keep_uuid net ")).toBeLessThan(install.indexOf("net-define"));
    expect(renderNetworkRemoveScript()).toMatch(/net-destroy .*net-undefine .*nwfilter-undefine/);
  });
});

describe("the systemd units", () => {
  const units = renderUnits({ listenPort: 8080 });

  it("pass systemd's own verification without a single warning", () => {
    const dir = join(work, "units");
    execFileSync("mkdir", ["-p", dir]);
    writeFileSync(join(dir, unitNames.controller), units.controller);
    writeFileSync(join(dir, unitNames.maintenance), units.maintenance);
    writeFileSync(join(dir, unitNames.maintenanceTimer), units.maintenanceTimer);
    const result = spawnSync(
      "systemd-analyze",
      ["verify", join(dir, unitNames.controller), join(dir, unitNames.maintenance), join(dir, unitNames.maintenanceTimer)],
      { encoding: "utf8" },
    );
    expect(result.error, "systemd-analyze comes with systemd").toBeUndefined();
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("run the bundled controller with its config, restarting always", () => {
    expect(units.controller).toContain(
      `ExecStart=/usr/bin/node --max-semi-space-size=1 --optimize-for-size ${hostLayout.bundle} controller --config ${hostLayout.configFile}`,
    );
    expect(units.controller).toMatch(/^Restart=always$/m);
    expect(units.controller).toMatch(/^WantedBy=multi-user.target$/m);
  });

  it("are hardened, except where V8 or libvirt need otherwise", () => {
    for (const line of [
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      `ReadWritePaths=${hostLayout.stateDir} ${hostLayout.imageDir} /run/libvirt`,
      "ProtectHome=yes",
      "PrivateTmp=yes",
      "PrivateDevices=yes",
      "ProtectKernelTunables=yes",
      "ProtectKernelModules=yes",
      "ProtectControlGroups=yes",
      "RestrictSUIDSGID=yes",
      "LockPersonality=yes",
      "SystemCallArchitectures=native",
      "RestrictNamespaces=yes",
      "UMask=0077",
    ]) {
      expect(units.controller.split("\n"), line).toContain(line);
      expect(units.maintenance.split("\n"), line).toContain(line);
    }
    expect(units.controller).not.toMatch(/^MemoryDenyWriteExecute=/m);
    expect(units.controller).toMatch(/^CapabilityBoundingSet=CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE CAP_KILL$/m);
  });

  it("grant the low-port capability only when the controller listens below 1024", () => {
    expect(renderControllerUnit({ listenPort: 443 })).toMatch(/^CapabilityBoundingSet=.* CAP_NET_BIND_SERVICE$/m);
    expect(renderControllerUnit({ listenPort: 8443 })).not.toContain("CAP_NET_BIND_SERVICE");
  });

  it("run the doctor every 15 minutes to clean up stale runners, domains and overlays", () => {
    expect(units.maintenance).toContain(
      `ExecStart=/usr/bin/node --enable-source-maps ${hostLayout.bundle} doctor --config ${hostLayout.configFile} --apply --min-age 30m`,
    );
    expect(units.maintenance).toMatch(/^Type=oneshot$/m);
    expect(units.maintenanceTimer).toMatch(/^OnCalendar=\*:0\/15$/m);
    expect(units.maintenanceTimer).toMatch(/^Persistent=true$/m);
    expect(units.maintenanceTimer).toContain(`Unit=${unitNames.maintenance}`);
    const next = execFileSync("systemd-analyze", ["calendar", "--iterations=3", "*:0/15"], { encoding: "utf8" });
    const times = [...next.matchAll(/\d\d:(\d\d):00/g)].map((m) => Number(m[1]));
    expect(times).toHaveLength(3);
    for (const minute of times) expect(minute % 15).toBe(0);
  });

  it("are installed, enabled, restarted and removed by valid scripts", () => {
    const install = renderUnitsInstallScript(units);
    bashSyntaxOk(install);
    expect(install).toContain("systemctl daemon-reload");
    expect(install).toContain(`systemctl enable ${unitNames.controller} ${unitNames.maintenanceTimer}`);
    bashSyntaxOk(renderUnitsRemoveScript());
    expect(renderUnitsRemoveScript()).toContain(`systemctl disable --now ${unitNames.controller}`);
    const restart = renderRestartScript("http://127.0.0.1:8080/healthz");
    bashSyntaxOk(restart);
    expect(restart).toContain(`systemctl restart ${unitNames.controller}`);
    expect(restart).toContain("curl -fsS -o /dev/null --max-time 2 'http://127.0.0.1:8080/healthz'");
  });
});

describe("host preparation scripts", () => {
  it("install QEMU for the host's arch, libvirt, dnsmasq and Node.js, and check Node's version", () => {
    expect(hostPackages("x64")).toEqual(
      expect.arrayContaining(["qemu-system-x86", "qemu-utils", "libvirt-daemon-system", "libvirt-clients", "dnsmasq-base", "nodejs"]),
    );
    expect(hostPackages("arm64")).toEqual(expect.arrayContaining(["qemu-system-arm", "qemu-efi-aarch64"]));
    expect(hostPackages("arm64")).not.toContain("qemu-system-x86");
    const script = renderPackagesScript("x64");
    bashSyntaxOk(script);
    expect(script).toContain('if [ "$node_major" -lt 18 ]; then');
  });

  it("create the directories and the storage pool idempotently", () => {
    const script = renderStorageScript();
    bashSyntaxOk(script);
    expect(script).toContain("install -d -m 0700 /etc/runner-fleet\n");
    // QEMU runs as its own user and must traverse the state directory to the overlays.
    expect(script).toContain(`install -d -m 0711 ${hostLayout.stateDir}\n`);
    expect(script).toContain(`pool-info 'runner-fleet' >/dev/null 2>&1 || virsh -q -c qemu:///system pool-define-as`);
    bashSyntaxOk(renderStorageRemoveScript());
  });

  // Found on a real systemd host (test/integration/host): under `set -o pipefail`, `grep -q`
  // exits at its first match and virsh dies of SIGPIPE, so "already running" read as "not running".
  it("never pipe into an early-exiting grep under pipefail", () => {
    const scripts = [renderPackagesScript("x64"), renderStorageScript(), renderNetworkInstallScript(params)];
    for (const script of scripts) expect(script).not.toMatch(/\|\s*grep\s+-[A-Za-z]*q/);
  });

  it("write the config from stdin only, 0600 root:root", () => {
    expect(configInstallCommand).toBe(
      "umask 077 && install -d -m 0700 /etc/runner-fleet && install -m 0600 -o root -g root /dev/stdin /etc/runner-fleet/controller.json",
    );
  });

  it("write files through quoted heredocs, so nothing in them is expanded", () => {
    const target = join(work, "heredoc.txt");
    const content = "$HOME `id` $(id) \\n 'quoted' \"double\"\n";
    const script = writeFileScript(target, content, "0600").replace("-o root -g root ", "");
    execFileSync("bash", ["-c", script]);
    expect(execFileSync("cat", [target], { encoding: "utf8" })).toBe(content);
    expect(execFileSync("stat", ["-c", "%a", target], { encoding: "utf8" }).trim()).toBe("600");
    expect(() => writeFileScript("/x", "a\nRUNNER_FLEET_EOF\nb")).toThrow(/heredoc delimiter/);
  });

  it("quote words for the shell", () => {
    for (const word of ["plain", "it's", "$(rm -rf /)", "a b\nc"]) {
      expect(execFileSync("bash", ["-c", `printf %s ${shellQuote(word)}`], { encoding: "utf8" })).toBe(word);
    }
  });
});

describe("controller URLs", () => {
  const host = { address: "203.0.113.10", listenAddress: "127.0.0.1", listenPort: 8080 };

  it("use the public URL for dashboards and webhooks when there is one", () => {
    expect(hostUrls({ ...host, publicUrl: "https://hv1.example" }, "/webhook")).toEqual({
      baseUrl: "https://hv1.example",
      statusUrl: "https://hv1.example/status",
      metricsUrl: "https://hv1.example/metrics",
      localHealthUrl: "http://127.0.0.1:8080/healthz",
      webhookUrl: "https://hv1.example/webhook",
    });
  });

  it("fall back to the listen address, and give no webhook URL without a public one", () => {
    const loopback = hostUrls(host, "/webhook");
    expect(loopback.statusUrl).toBe("http://127.0.0.1:8080/status");
    expect(loopback.webhookUrl).toBeUndefined();
    expect(hostUrls({ ...host, listenAddress: "0.0.0.0" }, "/webhook").metricsUrl).toBe("http://203.0.113.10:8080/metrics");
    expect(hostUrls({ ...host, listenAddress: "::" }, "/webhook").localHealthUrl).toBe("http://[::1]:8080/healthz");
    expect(hostUrls({ ...host, listenAddress: "192.0.2.4" }, "/webhook").statusUrl).toBe("http://192.0.2.4:8080/status");
  });
});
