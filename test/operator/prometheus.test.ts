/**
 * A real Prometheus (Debian's) scrapes a lab controller while it runs a few jobs, one of them
 * refused (a bot's), one VM failing (its runner never connects) and GitHub failing one runner
 * list (a reconcile error). Then: every metric of
 * the catalog exists with exactly its documented labels; every query of the Grafana dashboard and
 * every alert rule's signal returns data through Prometheus's HTTP API; the rules file loads.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertSpecs, renderAlertRules, scrapeJob } from "../../components/alert-rules.ts";
import { buildDashboard } from "../../components/dashboard.ts";
import type { StatusDocument } from "../../runtime/controller/status-report.ts";
import { waitFor } from "../../runtime/lab/controller-process.ts";
import { metricCatalog } from "../../runtime/observability/metric-catalog.ts";
import { startLabFleet, type LabFleet } from "../support/lab-fleet.ts";

const prometheusBinary = process.env.RF_PROMETHEUS ?? "/usr/bin/prometheus";

let fleet: LabFleet;
let prometheus: ChildProcess;
let prometheusUrl: string;
let dir: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${prometheusUrl}${path}`);
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== "success") throw new Error(`${path}: ${body.error ?? response.status}`);
  return body.data;
}

const query = (expr: string) => api<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`).then((d) => d.result);

beforeAll(async () => {
  // A short boot timeout, so the VM whose runner never connects fails within the test.
  fleet = await startLabFleet({ bootTimeoutSeconds: 6 });
  dir = await mkdtemp(join(tmpdir(), "rf-prometheus-"));
  const target = new URL(fleet.url).host;
  await writeFile(join(dir, "alert-rules.yml"), renderAlertRules());
  await writeFile(
    join(dir, "prometheus.yml"),
    [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      "rule_files: [alert-rules.yml]",
      "scrape_configs:",
      `  - job_name: ${scrapeJob}`,
      `    static_configs: [{ targets: ["${target}"] }]`,
      "",
    ].join("\n"),
  );
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    prometheusBinary,
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  await waitFor("Prometheus to be ready", 30_000, async () => (await fetch(`${prometheusUrl}/-/ready`).catch(() => undefined))?.ok ?? false);

  const status = () => fetch(`${fleet.url}/status`).then((r) => r.json() as Promise<StatusDocument>);
  await waitFor("the warm pool", 30_000, async () => (await status()).vms.some((vm) => vm.phase === "idle"));
  // The next VM's runner never connects; GitHub fails runner lists twice over (the client
  // retries twice, and under load another caller may take some of the failures), a few jobs run,
  // and a bot's job is refused.
  fleet.emulator.setFaults({ runnerNeverConnects: { times: 1 }, serverError: { route: "GET /orgs/acme/actions/runners", times: 6 } });
  const jobs = [fleet.enqueue("prom-1", 2), fleet.enqueue("prom-2", 2), fleet.enqueue("prom-3", 2)];
  fleet.enqueue("bot-job", 1, { login: "dependabot[bot]", type: "Bot" });
  await waitFor("three jobs done", 60_000, () => jobs.every((job) => fleet.emulator.job(job.jobId)?.status === "completed"));
  await waitFor("a VM failed to boot", 60_000, async () => (await status()).failures.boot_timeout !== undefined);
  // Let Prometheus scrape the end of it (1 s interval). Counters start at 0 (initial-series.ts),
  // so increase() counts the first job and the first failure.
  await waitFor("the jobs and the failure in Prometheus", 30_000, async () => {
    const [ended, failed, errors] = await Promise.all([
      query(`sum(increase(${metricCatalog.jobs.name}{outcome="success"}[5m]))`).catch(() => []),
      query(`sum(increase(${metricCatalog.vmFailures.name}[5m]))`).catch(() => []),
      query(`sum(${metricCatalog.reconcileErrors.name})`).catch(() => []),
    ]);
    return [ended, failed, errors].every((result) => Number(result[0]?.value[1] ?? 0) > 0);
  });
}, 120_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus.once("exit", resolve));
    prometheus.kill("SIGTERM");
    await exited;
  }
  await fleet?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("Prometheus scraping a lab controller", () => {
  it("has the target up", async () => {
    const up = await query(`up{job="${scrapeJob}"}`);
    expect(up.map((s) => s.value[1])).toEqual(["1"]);
  });

  it.each(Object.values(metricCatalog).map((spec) => [spec.name, spec] as const))("has %s with exactly its documented labels", async (_name, spec) => {
    const series = spec.kind === "histogram" ? `${spec.name}_bucket` : spec.name;
    const found = await api<Record<string, string>[]>(`/api/v1/series?match[]=${encodeURIComponent(series)}`);
    expect(found.length, `${series} has no series`).toBeGreaterThan(0);
    const expected = ["__name__", "instance", "job", ...spec.labels, ...(spec.kind === "histogram" ? ["le"] : [])].sort();
    for (const labels of found) expect(Object.keys(labels).sort()).toEqual(expected);
  });

  const dashboardQueries = buildDashboard().panels.flatMap((panel) => panel.targets.map((t) => [`${panel.title} ${t.refId}`, t.expr] as const));
  it.each(dashboardQueries)("answers the dashboard's query %s", async (_panel, expr) => {
    // Grafana substitutes the host variable; "All" is `.*`.
    const result = await query(expr.replaceAll("$instance", ".*"));
    expect(result.length, expr).toBeGreaterThan(0);
  });

  it.each(alertSpecs().map((spec) => [spec.alert, spec.signal] as const))("has data for the signal of alert %s", async (_alert, signal) => {
    const result = await query(signal);
    expect(result.length, signal).toBeGreaterThan(0);
  });

  it("loaded every alert rule, each evaluating without error", async () => {
    const { groups } = await api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>("/api/v1/rules?type=alert");
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual(alertSpecs().map((s) => s.alert).sort());
    for (const rule of rules) expect([rule.name, rule.health, rule.lastError ?? ""]).toEqual([rule.name, "ok", ""]);
  });

  it("fires the boot-failure alert's signal for the VM whose JIT config GitHub refused", async () => {
    const failures = await query(alertSpecs().find((s) => s.alert === "RunnerFleetBootFailures")!.signal);
    expect(failures.map((s) => s.metric.pool)).toEqual(["lab"]);
    expect(Number(failures[0]!.value[1])).toBeGreaterThan(0);
  });

  it("kept every GitHub exchange within GitHub's OpenAPI description", () => {
    expect(fleet.checked.contract.violations).toEqual([]);
  });
});
