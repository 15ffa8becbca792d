/**
 * The Host component's provisioning on a real Debian 12 host with systemd as PID 1, over SSH:
 * the same steps (components/host-provisioning.ts) in the order `pulumi up` runs them, then again
 * (nothing changes), then their delete commands as `pulumi destroy` runs them. The command
 * provider that runs them under `pulumi up` cannot be built here (README, "The real Pulumi
 * engine"), so ssh runs them; the base image step is left out (it downloads Debian's cloud image
 * and the runner from the internet).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildControllerBundle } from "../../../components/controller-bundle.ts";
import { renderControllerConfig, serializeControllerConfig } from "../../../components/controller-config-file.ts";
import { hostPackages, storagePoolName } from "../../../components/host-scripts.ts";
import { hostProvisioning, provisioningOrder } from "../../../components/host-provisioning.ts";
import { runnerNetwork } from "../../../components/libvirt-network.ts";
import { SecretValue } from "../../../components/secret-value.ts";
import type { FleetConfig, HostSettings } from "../../../components/stack-config.ts";
import { unitNames } from "../../../components/systemd-units.ts";
import { hostLayout } from "../../../runtime/controller/endpoints.ts";
import { parseMockConfig, devStack, hostsOf } from "../../stack/support/dev-stack.ts";
import { startCheckedEmulator } from "../../support/checked-emulator.ts";
import type { CheckedEmulator } from "../../support/checked-emulator.ts";
import { generateDevSecrets } from "../../stack/support/stand-ins.ts";
import { SystemdHost, systemdHostRootfs } from "../../support/systemd-host.ts";

const repo = new URL("../../..", import.meta.url).pathname;
const adminToken = new SecretValue("systemd-host-admin-token-0123456789");

let host: SystemdHost;
let emulator: CheckedEmulator;
let fleet: FleetConfig;
let settings: HostSettings;

beforeAll(async () => {
  const rootfs = await systemdHostRootfs(hostPackages("x64"));
  host = await SystemdHost.boot(rootfs);
  emulator = await startCheckedEmulator({ host: host.gateway });
  const stack = devStack((config) => {
    config["runner-fleet:githubOwner"] = "acme";
    config["runner-fleet:repositories"] = ["acme/app", "acme/lib"];
    config["runner-fleet:githubAppId"] = emulator.emulator.app.id;
    config["runner-fleet:githubAppInstallationId"] = emulator.emulator.app.installationId("acme");
    hostsOf(config)[0]!.address = host.address;
  }, {}, { ...generateDevSecrets(), appPrivateKey: emulator.emulator.app.privateKey! });
  fleet = parseMockConfig(stack.config);
  // The emulator speaks http on the veth; the stack accepts only https API URLs.
  fleet = { ...fleet, github: { ...fleet.github, apiUrl: emulator.emulator.url } };
  settings = fleet.hosts[0]!;
}, 900_000);

afterAll(async () => {
  await emulator?.close();
  await host?.close();
});

/** Runs every step's create command in `pulumi up`'s order. */
async function provision(): Promise<void> {
  const steps = hostProvisioning(settings, fleet);
  const bundle = buildControllerBundle(repo);
  const config = serializeControllerConfig(
    renderControllerConfig({ host: settings, fleet, runnerGroupId: 1, adminToken, baseImageFile: "base.qcow2" }),
  );
  for (const name of provisioningOrder) {
    if (name === "bundle") {
      // CopyToRemote's part: the bundle file at its path.
      await host.ok(`install -d -m 0755 /opt/runner-fleet && cat > ${hostLayout.bundle}`, readFileSync(bundle.path, "utf8"));
    } else if (name === "config") {
      await host.ok(steps.config.create, config);
    } else {
      await host.ok(steps[name].create, steps[name].stdin);
    }
  }
}

describe("provisioning a real systemd host over SSH", () => {
  it("runs every step, and the controller stays up under its hardened unit", async () => {
    await provision();
    expect((await host.ok(`systemctl is-active ${unitNames.controller} ${unitNames.maintenanceTimer}`)).trim().split("\n")).toEqual([
      "active",
      "active",
    ]);
    expect((await host.ok(`stat -c '%a %U:%G' ${hostLayout.configFile}`)).trim()).toBe("600 root:root");
    // The sandbox is in force: no new privileges, a read-only /usr, the bounding set cut down.
    const pid = (await host.ok(`systemctl show -p MainPID --value ${unitNames.controller}`)).trim();
    const status = await host.ok(`cat /proc/${pid}/status`);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect((await host.ssh(`nsenter -t ${pid} -m touch /usr/rf-probe`)).code).not.toBe(0);
    // Healthy means a reconcile pass completed and GitHub (the emulator, across the veth) answered.
    const health = await host.ok(`curl -sS http://127.0.0.1:${settings.listenPort}/healthz`);
    expect(JSON.parse(health)).toMatchObject({ status: "ok", problems: [] });
    // libvirt on the host has the runner network, its filter and the storage pool.
    expect(await host.ok(`virsh -q -c qemu:///system net-info ${runnerNetwork.network}`)).toMatch(/Active:\s+yes/);
    expect(await host.ok(`virsh -q -c qemu:///system nwfilter-list`)).toContain(runnerNetwork.filter);
    expect(await host.ok(`virsh -q -c qemu:///system pool-info ${storagePoolName}`)).toMatch(/State:\s+running/);
    // Nothing the controller logged holds a secret from its config.
    const journal = await host.ok(`journalctl -u ${unitNames.controller} --no-pager -o cat`);
    for (const secret of [adminToken.reveal(), fleet.webhook!.secret.reveal()]) expect(journal).not.toContain(secret);
    expect(journal).not.toContain("PRIVATE KEY");
    const score = await host.ssh(`systemd-analyze security ${unitNames.controller} --no-pager | tail -n 1`);
    console.info(`systemd-analyze security: ${score.stdout.trim()}`);
  });

  it("runs every step again without a change (a second pulumi up)", async () => {
    const before = (await host.ok(`systemctl show -p NRestarts --value ${unitNames.controller}`)).trim();
    const steps = hostProvisioning(settings, fleet);
    for (const name of ["packages", "storage", "network", "units"] as const) await host.ok(steps[name].create, steps[name].stdin);
    expect((await host.ok(`systemctl is-active ${unitNames.controller}`)).trim()).toBe("active");
    expect((await host.ok(`systemctl show -p NRestarts --value ${unitNames.controller}`)).trim()).toBe(before);
  });

  it("removes what it made when the delete commands run in reverse (pulumi destroy)", async () => {
    const steps = hostProvisioning(settings, fleet);
    for (const name of [...provisioningOrder].reverse()) {
      if (name === "bundle") await host.ok(`rm -f ${hostLayout.bundle}`);
      else if (steps[name].delete) await host.ok(steps[name].delete!);
    }
    const left = await host.ok(
      [
        `ls /etc/systemd/system | grep runner-fleet || true`,
        `test -e ${hostLayout.configFile} && echo config || true`,
        `virsh -q -c qemu:///system net-list --all --name | grep -x ${runnerNetwork.network} || true`,
        `virsh -q -c qemu:///system nwfilter-list | grep -w ${runnerNetwork.filter} || true`,
        `virsh -q -c qemu:///system pool-list --all --name | grep -x ${storagePoolName} || true`,
        `systemctl list-units --all --no-legend 'runner-fleet*' | grep -v not-found || true`,
      ].join("; "),
    );
    expect(left.trim()).toBe("");
  });
});
