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

/**
 * Node flags the controller runs with, on hosts and in the lab. Measured by the bench: a young
 * generation of 1 MiB semi-spaces instead of up to 16 MiB, and V8's smaller-heap heuristics, keep
 * about 15 MiB less resident under a burst; the controller waits on I/O, not on the CPU.
 * `--enable-source-maps` is left out: it keeps the 4 MiB source map parsed in memory (+35 MiB
 * resident). The map ships beside the bundle for a debugging run that wants it.
 */
export const controllerNodeFlags = ["--max-semi-space-size=1", "--optimize-for-size"] as const;

/** Where the stack installs things on a host (components/host renders units from these). */
export const hostLayout = {
  bundle: "/opt/runner-fleet/fleet.cjs",
  configFile: "/etc/runner-fleet/controller.json",
  stateDir: "/var/lib/runner-fleet",
  imageDir: "/var/lib/libvirt/images/runner-fleet",
  node: "/usr/bin/node",
} as const;
