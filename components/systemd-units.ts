/**
 * systemd units on each host: the controller service and the maintenance timer.
 *
 * The controller runs as root because it drives qemu:///system (libvirt grants root the system
 * connection) and manages files libvirt relabels to the qemu user. Everything else is taken
 * away: it sees a read-only system except its own state and image directories, no home
 * directories, no devices, no kernel knobs, a reduced capability and syscall set.
 */
import { controllerNodeFlags, hostLayout } from "../runtime/controller/endpoints.ts";
import { scriptHeader, writeFileScript } from "./shell.ts";

export const unitNames = {
  controller: "runner-fleet-controller.service",
  maintenance: "runner-fleet-maintenance.service",
  maintenanceTimer: "runner-fleet-maintenance.timer",
} as const;

export const unitDir = "/etc/systemd/system";

export interface UnitParams {
  /** The controller's listen port: binding below 1024 needs CAP_NET_BIND_SERVICE. */
  listenPort: number;
}

function hardening(params: UnitParams): string[] {
  const capabilities = [
    // Overlays and JIT files change owner when libvirt relabels them for QEMU and back.
    "CAP_CHOWN",
    "CAP_FOWNER",
    "CAP_DAC_OVERRIDE",
    // Ending stray qemu-img or helper processes it started.
    "CAP_KILL",
    ...(params.listenPort < 1024 ? ["CAP_NET_BIND_SERVICE"] : []),
  ];
  return [
    "NoNewPrivileges=yes",
    `CapabilityBoundingSet=${capabilities.join(" ")}`,
    "ProtectSystem=strict",
    // Its own state, the base images, and libvirt's runtime directory (the system socket).
    `ReadWritePaths=${hostLayout.stateDir} ${hostLayout.imageDir} /run/libvirt`,
    `StateDirectory=${hostLayout.stateDir.replace(/^\/var\/lib\//, "")}`,
    "StateDirectoryMode=0700",
    "ProtectHome=yes",
    `Environment=HOME=${hostLayout.stateDir}`,
    "PrivateTmp=yes",
    // It talks to libvirtd over a socket; QEMU's device access is libvirtd's business.
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "RestrictSUIDSGID=yes",
    "RestrictRealtime=yes",
    "RestrictNamespaces=yes",
    "LockPersonality=yes",
    "SystemCallArchitectures=native",
    // @system-service keeps chown/setuid-style calls it needs and drops mount, reboot, swap,
    // module loading, raw I/O, clock setting, debugging and obsolete calls.
    "SystemCallFilter=@system-service",
    "SystemCallErrorNumber=EPERM",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
    // MemoryDenyWriteExecute is deliberately absent: V8's JIT needs writable+executable pages.
    "UMask=0077",
  ];
}

const controllerCommand = `${hostLayout.node} ${controllerNodeFlags.join(" ")} ${hostLayout.bundle} controller --config ${hostLayout.configFile}`;
const maintenanceCommand = `${hostLayout.node} --enable-source-maps ${hostLayout.bundle} doctor --config ${hostLayout.configFile} --apply --min-age 30m`;

export function renderControllerUnit(params: UnitParams): string {
  return [
    "[Unit]",
    "Description=runner-fleet controller: one ephemeral VM per GitHub Actions job",
    "Wants=network-online.target libvirtd.service",
    "After=network-online.target libvirtd.service",
    `ConditionPathExists=${hostLayout.configFile}`,
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${controllerCommand}`,
    "Restart=always",
    "RestartSec=5",
    // SIGTERM lets it stop taking jobs and tidy up; running jobs' VMs are left to finish.
    "KillMode=mixed",
    "TimeoutStopSec=60",
    ...hardening(params),
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

export function renderMaintenanceService(params: UnitParams): string {
  return [
    "[Unit]",
    "Description=runner-fleet maintenance: remove stale runners, domains and overlays",
    "Wants=libvirtd.service",
    "After=libvirtd.service",
    `ConditionPathExists=${hostLayout.configFile}`,
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${maintenanceCommand}`,
    "TimeoutStartSec=15min",
    ...hardening(params),
    "",
  ].join("\n");
}

export function renderMaintenanceTimer(): string {
  return [
    "[Unit]",
    "Description=runner-fleet maintenance every 15 minutes",
    "",
    "[Timer]",
    "OnCalendar=*:0/15",
    "RandomizedDelaySec=60",
    "AccuracySec=1min",
    // A run missed while the host was off happens at the next boot.
    "Persistent=true",
    `Unit=${unitNames.maintenance}`,
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

export interface RenderedUnits {
  controller: string;
  maintenance: string;
  maintenanceTimer: string;
}

export function renderUnits(params: UnitParams): RenderedUnits {
  return {
    controller: renderControllerUnit(params),
    maintenance: renderMaintenanceService(params),
    maintenanceTimer: renderMaintenanceTimer(),
  };
}

/** Writes the units and enables them; the controller is (re)started by a separate step. */
export function renderUnitsInstallScript(units: RenderedUnits): string {
  return [
    scriptHeader("install systemd units"),
    writeFileScript(`${unitDir}/${unitNames.controller}`, units.controller),
    writeFileScript(`${unitDir}/${unitNames.maintenance}`, units.maintenance),
    writeFileScript(`${unitDir}/${unitNames.maintenanceTimer}`, units.maintenanceTimer),
    "systemctl daemon-reload",
    `systemctl enable ${unitNames.controller} ${unitNames.maintenanceTimer}`,
    `systemctl start ${unitNames.maintenanceTimer}`,
    "",
  ].join("\n");
}

export function renderUnitsRemoveScript(): string {
  const all = `${unitNames.controller} ${unitNames.maintenanceTimer} ${unitNames.maintenance}`;
  return [
    `systemctl disable --now ${all} 2>/dev/null || true`,
    `rm -f ${unitDir}/${unitNames.controller} ${unitDir}/${unitNames.maintenance} ${unitDir}/${unitNames.maintenanceTimer}`,
    "systemctl daemon-reload",
  ].join("; ");
}

/**
 * Restarts the controller and checks it came up: active after a few seconds and, within 30 s,
 * answering /healthz on its listen address. A controller that dies at start fails `pulumi up`.
 */
export function renderRestartScript(healthUrl: string): string {
  return [
    scriptHeader("restart the controller"),
    `systemctl restart ${unitNames.controller}`,
    "sleep 3",
    `if ! systemctl is-active --quiet ${unitNames.controller}; then`,
    `  journalctl -u ${unitNames.controller} -n 40 --no-pager >&2 || true`,
    `  echo "runner-fleet controller did not stay up" >&2`,
    "  exit 1",
    "fi",
    "for _ in $(seq 1 30); do",
    `  if curl -fsS -o /dev/null --max-time 2 '${healthUrl}'; then echo "controller healthy"; exit 0; fi`,
    "  sleep 1",
    "done",
    `journalctl -u ${unitNames.controller} -n 40 --no-pager >&2 || true`,
    `echo "runner-fleet controller is running but ${healthUrl} did not answer within 30 s" >&2`,
    "exit 1",
    "",
  ].join("\n");
}
