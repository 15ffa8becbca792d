/**
 * A Grafana dashboard (importable JSON) over the controllers' Prometheus metrics.
 *
 * Every query is built from runtime/observability/metric-catalog.ts, the list the controller
 * registers its metrics from, so a renamed metric breaks a test instead of leaving a panel empty.
 */
import { metricCatalog } from "../runtime/observability/metric-catalog.ts";
import type { MetricKey } from "../runtime/observability/metric-catalog.ts";

const m = <K extends MetricKey>(key: K): (typeof metricCatalog)[K]["name"] => metricCatalog[key].name;

export interface DashboardTarget {
  expr: string;
  legendFormat: string;
  refId: string;
  datasource: { type: "prometheus"; uid: "${datasource}" };
}

export interface DashboardPanel {
  id: number;
  type: "timeseries" | "stat";
  title: string;
  description: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: "prometheus"; uid: "${datasource}" };
  targets: DashboardTarget[];
  fieldConfig: { defaults: { unit?: string; min?: number }; overrides: [] };
  options: Record<string, unknown>;
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  tags: string[];
  timezone: "browser";
  schemaVersion: number;
  version: number;
  editable: boolean;
  refresh: string;
  time: { from: string; to: string };
  templating: { list: Record<string, unknown>[] };
  panels: DashboardPanel[];
}

interface PanelSpec {
  title: string;
  description: string;
  type?: "timeseries" | "stat";
  unit?: string;
  min?: number;
  queries: [expr: string, legend: string][];
}

const datasource = { type: "prometheus", uid: "${datasource}" } as const;
/** Every query is narrowed to the hosts picked in the dashboard's host variable. */
const hostSel = `instance=~"$instance"`;

const panelSpecs: PanelSpec[] = [
  {
    title: "Jobs by outcome",
    description: "Jobs that ended, per pool and outcome (per minute).",
    unit: "short",
    queries: [[`sum by (pool, outcome) (rate(${m("jobs")}{${hostSel}}[5m])) * 60`, "{{pool}} {{outcome}}"]],
  },
  {
    title: "VM failures by reason",
    description: "Runner VMs torn down because something went wrong (per minute).",
    unit: "short",
    queries: [[`sum by (pool, reason) (rate(${m("vmFailures")}{${hostSel}}[5m])) * 60`, "{{pool}} {{reason}}"]],
  },
  {
    title: "Restores that booted instead",
    description: "VMs of restoring pools that booted because no snapshot was ready or the restore failed (per minute; docs/controller.md).",
    unit: "short",
    queries: [[`sum by (pool, reason) (rate(${m("restoreFallbacks")}{${hostSel}}[5m])) * 60`, "{{pool}} {{reason}}"]],
  },
  {
    title: "Phase duration p50 / p95",
    description: "How long each phase of a runner VM's life takes.",
    unit: "s",
    queries: [
      [`histogram_quantile(0.5, sum by (le, phase) (rate(${m("phaseSeconds")}_bucket{${hostSel}}[10m])))`, "p50 {{phase}}"],
      [`histogram_quantile(0.95, sum by (le, phase) (rate(${m("phaseSeconds")}_bucket{${hostSel}}[10m])))`, "p95 {{phase}}"],
    ],
  },
  {
    title: "Queue wait p95",
    description: "Time from a job being queued to a runner starting it.",
    unit: "s",
    queries: [
      [`histogram_quantile(0.95, sum by (le, pool) (rate(${m("queueWaitSeconds")}_bucket{${hostSel}}[10m])))`, "p95 {{pool}}"],
    ],
  },
  {
    title: "Queued jobs",
    description: "Queued jobs the pools can serve.",
    unit: "short",
    min: 0,
    queries: [[`sum by (pool) (${m("queuedJobs")}{${hostSel}})`, "{{pool}}"]],
  },
  {
    title: "Pool VMs by state vs bounds",
    description: "Runner VMs per state, against the configured min/max and the desired count.",
    unit: "short",
    min: 0,
    queries: [
      [`sum by (pool, state) (${m("poolVms")}{${hostSel}})`, "{{pool}} {{state}}"],
      [`sum by (pool, bound) (${m("poolBounds")}{${hostSel}})`, "{{pool}} {{bound}}"],
    ],
  },
  {
    title: "Host capacity",
    description: "vCPU and memory budget of runner VMs per host, and how much is in use.",
    unit: "short",
    min: 0,
    queries: [[`${m("hostCapacity")}{${hostSel}}`, "{{instance}} {{resource}} {{kind}}"]],
  },
  {
    title: "Host hardware",
    description: "Each host's hardware as its controller read it at start (cores, memory, NUMA nodes, IOMMU groups, GPUs, hugepages), and pools it refused.",
    unit: "short",
    min: 0,
    queries: [[`${m("hostFacts")}{${hostSel}}`, "{{instance}} {{fact}}"]],
  },
  {
    title: "GitHub API calls",
    description: "GitHub API requests per route and status (per minute).",
    unit: "short",
    queries: [[`sum by (route, status) (rate(${m("githubApiCalls")}{${hostSel}}[5m])) * 60`, "{{route}} {{status}}"]],
  },
  {
    title: "GitHub rate limit remaining",
    description: "Requests left in the current rate-limit window.",
    unit: "short",
    min: 0,
    queries: [[`min by (instance) (${m("githubRateLimitRemaining")}{${hostSel}})`, "{{instance}}"]],
  },
  {
    title: "Webhook deliveries",
    description: "Webhook deliveries by result (per minute).",
    unit: "short",
    queries: [[`sum by (result) (rate(${m("webhookDeliveries")}{${hostSel}}[5m])) * 60`, "{{result}}"]],
  },
  {
    title: "Untrusted jobs refused",
    description: "Jobs refused because they came from an untrusted context (per hour).",
    unit: "short",
    queries: [[`sum by (reason) (increase(${m("untrustedRefused")}{${hostSel}}[1h]))`, "{{reason}}"]],
  },
  {
    title: "Dependency caches",
    description: "Jobs per hour that got a published generation (hit) or the empty one (miss), what became of their writable copies, and bytes on the host (docs/caches.md).",
    unit: "short",
    queries: [
      [`sum by (pool, cache, result) (increase(${m("cacheJobs")}{${hostSel}}[1h]))`, "{{pool}}/{{cache}} {{result}}"],
      [`sum by (pool, cache, result) (increase(${m("cacheCopies")}{${hostSel}}[1h]))`, "{{pool}}/{{cache}} copy {{result}}"],
      [`sum by (pool, cache, kind) (${m("cacheBytes")}{${hostSel}})`, "{{pool}}/{{cache}} bytes {{kind}}"],
    ],
  },
  {
    title: "Reconcile duration and errors",
    description: "p95 of one reconcile pass, and failed passes or actions by stage (per minute).",
    unit: "s",
    queries: [
      [`histogram_quantile(0.95, sum by (le, instance) (rate(${m("reconcileSeconds")}_bucket{${hostSel}}[10m])))`, "p95 {{instance}}"],
      [`sum by (stage) (rate(${m("reconcileErrors")}{${hostSel}}[5m])) * 60`, "errors {{stage}}"],
    ],
  },
  {
    title: "Leftovers",
    description: "Domains, overlays, JIT config files and runner registrations without a VM record; one that stays is a leak.",
    unit: "short",
    min: 0,
    queries: [[`sum by (instance, kind) (${m("leftovers")}{${hostSel}})`, "{{instance}} {{kind}}"]],
  },
  {
    title: "Guard: routing state",
    description: "Each repository's trusted routing as the guard sees it after its last round (1 = current state).",
    unit: "short",
    min: 0,
    queries: [[`max by (repository, state) (${m("guardState")}{${hostSel}})`, "{{repository}} {{state}}"]],
  },
  {
    title: "Guard: triggers and decisions",
    description: "Rollback triggers active in the guard's last round, and the rollbacks and restores it applied (per hour).",
    unit: "short",
    min: 0,
    queries: [
      [`max by (repository, kind) (${m("guardTriggers")}{${hostSel}})`, "trigger {{repository}} {{kind}}"],
      [`sum by (repository, action, result) (increase(${m("guardDecisions")}{${hostSel}}[1h]))`, "{{action}} {{repository}} {{result}}"],
      [`sum by (result) (increase(${m("guardRounds")}{${hostSel}}[1h]))`, "rounds {{result}}"],
    ],
  },
  {
    title: "Draining",
    description: "1 while a host takes no new jobs.",
    type: "stat",
    queries: [[`max by (instance) (${m("draining")}{${hostSel}})`, "{{instance}}"]],
  },
  {
    title: "Controller up",
    description: "1 while the controller's last reconcile pass succeeded.",
    type: "stat",
    queries: [[`min by (instance) (${m("up")}{${hostSel}})`, "{{instance}}"]],
  },
];

function panel(spec: PanelSpec, index: number): DashboardPanel {
  const stat = spec.type === "stat";
  const width = stat ? 6 : 12;
  // Time series two per row; the two stats share the last row.
  const timeseriesBefore = panelSpecs.slice(0, index).filter((p) => p.type !== "stat").length;
  const statBefore = index - timeseriesBefore;
  const rows = Math.ceil(panelSpecs.filter((p) => p.type !== "stat").length / 2);
  const gridPos = stat
    ? { x: statBefore * width, y: rows * 8, w: width, h: 4 }
    : { x: (timeseriesBefore % 2) * width, y: Math.floor(timeseriesBefore / 2) * 8, w: width, h: 8 };
  return {
    id: index + 1,
    type: spec.type ?? "timeseries",
    title: spec.title,
    description: spec.description,
    gridPos,
    datasource,
    targets: spec.queries.map(([expr, legendFormat], i) => ({
      expr,
      legendFormat,
      refId: String.fromCharCode(65 + i),
      datasource,
    })),
    fieldConfig: {
      defaults: { ...(spec.unit ? { unit: spec.unit } : {}), ...(spec.min !== undefined ? { min: spec.min } : {}) },
      overrides: [],
    },
    options: stat
      ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "background" }
      : { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
  };
}

export function buildDashboard(title = "runner-fleet"): GrafanaDashboard {
  return {
    uid: "runner-fleet",
    title,
    tags: ["runner-fleet", "github-actions"],
    timezone: "browser",
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        {
          name: "datasource",
          label: "Prometheus",
          type: "datasource",
          query: "prometheus",
          current: {},
          hide: 0,
        },
        {
          name: "instance",
          label: "Host",
          type: "query",
          datasource,
          query: { query: `label_values(${m("up")}, instance)`, refId: "instance" },
          definition: `label_values(${m("up")}, instance)`,
          includeAll: true,
          multi: true,
          allValue: ".*",
          current: { text: "All", value: "$__all" },
          refresh: 2,
          hide: 0,
        },
      ],
    },
    panels: panelSpecs.map(panel),
  };
}
