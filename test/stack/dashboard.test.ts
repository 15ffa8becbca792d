/** The Grafana dashboard covers the controller's metric catalog exactly: no orphan panels, no unseen metrics. */
import { describe, expect, it } from "vitest";
import { buildDashboard } from "../../components/dashboard.ts";
import { metricCatalog } from "../../runtime/observability/metric-catalog.ts";

const dashboard = buildDashboard();
const catalogNames: string[] = Object.values(metricCatalog).map((metric) => metric.name);
const histogramNames: string[] = Object.values(metricCatalog)
  .filter((metric) => metric.kind === "histogram")
  .map((metric) => metric.name);
const queries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ panel: panel.title, expr: target.expr })));

/** Metric names a PromQL expression selects (runner_fleet_* identifiers, histogram suffixes removed). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(runner_fleet_[a-z_]+)\b/g)].map(([, name]) => {
    const base = name!.replace(/_(bucket|sum|count)$/, "");
    return histogramNames.includes(base) ? base : name!;
  });
}

describe("the Grafana dashboard", () => {
  it("only queries metrics the controller exports", () => {
    for (const { panel, expr } of queries) {
      const used = metricsIn(expr);
      expect(used.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of used) expect(catalogNames, `${panel} uses ${name}`).toContain(name);
    }
  });

  it("shows every metric the controller exports", () => {
    const shown = new Set(queries.flatMap(({ expr }) => metricsIn(expr)));
    for (const name of catalogNames) expect(shown.has(name), name).toBe(true);
  });

  it("reads histograms through their buckets and counters through rates", () => {
    for (const { expr } of queries) {
      for (const name of histogramNames) if (expr.includes(name)) expect(expr).toContain(`${name}_bucket`);
      for (const metric of Object.values(metricCatalog).filter((m) => m.kind === "counter")) {
        if (expr.includes(metric.name)) expect(expr).toMatch(new RegExp(`(rate|increase)\\(${metric.name}`));
      }
    }
  });

  it("has the panels operators asked for", () => {
    const titles = dashboard.panels.map((panel) => panel.title);
    for (const title of [
      "Jobs by outcome",
      "VM failures by reason",
      "Phase duration p50 / p95",
      "Queue wait p95",
      "Pool VMs by state vs bounds",
      "Host capacity",
      "GitHub API calls",
      "GitHub rate limit remaining",
      "Webhook deliveries",
      "Draining",
      "Controller up",
    ]) {
      expect(titles).toContain(title);
    }
  });

  it("is importable: a Prometheus datasource variable every panel uses, unique ids, panels on the grid", () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list[0]).toMatchObject({ name: "datasource", type: "datasource", query: "prometheus" });
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.datasource).toEqual({ type: "prometheus", uid: "${datasource}" });
      for (const target of panel.targets) expect(target.datasource.uid).toBe("${datasource}");
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
    }
    // No two panels overlap.
    const cells = new Set<string>();
    for (const { gridPos } of dashboard.panels) {
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell), cell).toBe(false);
          cells.add(cell);
        }
      }
    }
    expect(JSON.parse(JSON.stringify(dashboard))).toEqual(dashboard);
  });
});
