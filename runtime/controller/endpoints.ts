/**
 * The controller's HTTP surface. Read-only endpoints (the status page included) are open (dashboards scrape them); the
 * webhook is HMAC-verified; admin endpoints need `Authorization: Bearer <adminToken>`.
 */
export const controllerEndpoints = {
  /** The status page (HTML) for people. */
  page: "/",
  health: "/healthz",
  metrics: "/metrics",
  status: "/status",
  inventory: "/inventory",
  drain: "/admin/drain",
  resume: "/admin/resume",
} as const;

/** Where the stack installs things on a host (components/host renders units from these). */
export const hostLayout = {
  bundle: "/opt/runner-fleet/fleet.cjs",
  configFile: "/etc/runner-fleet/controller.json",
  stateDir: "/var/lib/runner-fleet",
  imageDir: "/var/lib/libvirt/images/runner-fleet",
  node: "/usr/bin/node",
} as const;
