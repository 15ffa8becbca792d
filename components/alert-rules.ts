/**
 * Prometheus alert rules over the controllers' metrics: one per rollback trigger of the guard
 * (with the guard's default thresholds, so the page and the guard agree on "wrong"), one when
 * the guard (or an operator) has turned trusted routing off, and one for leaks. A stack output (`alertRules`, a rules file); Prometheus loads it with `rule_files`.
 *
 * Annotations name labels, not values, so promtool tests can state them exactly.
 * Each rule is a signal (a query that has data whenever the metrics exist) and a comparison:
 * the operator tests evaluate every signal through a real Prometheus, and promtool tests
 * (test/operator/alert-rules.promtool.yml) check each alert fires when it should.
 */
import { stringify } from "yaml";
import { defaultGuardConfig } from "../runtime/guard/guard-config.ts";
import type { GuardConfig } from "../runtime/guard/guard-config.ts";
import { bootFailureReasons } from "../runtime/controller/vm-record.ts";
import { metricCatalog, type MetricKey } from "../runtime/observability/metric-catalog.ts";

const m = <K extends MetricKey>(key: K): (typeof metricCatalog)[K]["name"] => metricCatalog[key].name;

/** The Prometheus job name the scrape config gives the controllers (docs/stack.md). */
export const scrapeJob = "runner-fleet";

export interface AlertSpec {
  alert: string;
  /** A query with data whenever the metrics exist. */
  signal: string;
  /** Appended to the signal to make the alert's expression, e.g. `> 0`. */
  comparison: string;
  for: string;
  severity: "page" | "ticket";
  summary: string;
  description: string;
}

export function alertSpecs(thresholds: GuardConfig["thresholds"] = defaultGuardConfig.thresholds): AlertSpec[] {
  const bootReasons = [...bootFailureReasons].sort().join("|");
  return [
    {
      alert: "RunnerFleetBootFailures",
      signal: `sum by (instance, pool) (increase(${m("vmFailures")}{reason=~"${bootReasons}"}[15m]))`,
      comparison: `>= ${thresholds.consecutiveBootFailures}`,
      for: "0m",
      severity: "page",
      summary: "Runner VMs of {{ $labels.pool }} on {{ $labels.instance }} fail to boot",
      description: `${thresholds.consecutiveBootFailures} or more runner VMs failed before their runner came online in 15 minutes (the guard rolls back trusted routing at ${thresholds.consecutiveBootFailures} in a row). See the host's status page and \`fleet doctor\`.`,
    },
    {
      alert: "RunnerFleetQueueWaitHigh",
      signal: `histogram_quantile(0.95, sum by (le, instance, pool) (rate(${m("queueWaitSeconds")}_bucket[15m])))`,
      comparison: `> ${thresholds.queueWaitSeconds}`,
      for: "5m",
      severity: "ticket",
      summary: "Jobs wait long for runners of {{ $labels.pool }} on {{ $labels.instance }}",
      description: `p95 queue wait over 15 minutes is above ${thresholds.queueWaitSeconds} s (the guard's limit). The pool may be too small or stuck at its bounds.`,
    },
    {
      alert: "RunnerFleetControllerDown",
      signal: `up{job="${scrapeJob}"}`,
      comparison: "== 0",
      for: `${thresholds.offlineMinutes}m`,
      severity: "page",
      summary: "The controller on {{ $labels.instance }} does not answer",
      description: `Prometheus has not reached it for ${thresholds.offlineMinutes} minutes (the guard's controller-offline trigger). Jobs routed to the fleet may wait.`,
    },
    {
      alert: "RunnerFleetReconcileFailing",
      signal: m("up"),
      comparison: "== 0",
      for: `${thresholds.offlineMinutes}m`,
      severity: "page",
      summary: "The controller on {{ $labels.instance }} answers but its reconcile passes fail",
      description: `Its last pass failed for ${thresholds.offlineMinutes} minutes (the guard counts this as offline). The status page names the error.`,
    },
    {
      alert: "RunnerFleetUntrustedJobsRefused",
      signal: `sum by (instance, reason) (increase(${m("untrustedRefused")}[15m]))`,
      comparison: "> 0",
      for: "0m",
      severity: "ticket",
      summary: "Untrusted jobs reached {{ $labels.instance }} and were refused ({{ $labels.reason }})",
      description: "Routing sent the fleet a job it must not run (the guard's route-mismatch trigger counts these). Check the routing policy and the routing variables.",
    },
    {
      alert: "RunnerFleetRoutingOff",
      signal: `max by (repository) (${m("guardState")}{state!="enabled"})`,
      comparison: "== 1",
      for: "0m",
      severity: "page",
      summary: "Trusted routing of {{ $labels.repository }} is off",
      description: "Its jobs run on GitHub-hosted runners. `fleet guard` shows why (the guard's triggers, or an operator's rollback); `fleet restore` turns it back on.",
    },
    {
      alert: "RunnerFleetLeak",
      signal: `max by (instance, kind) (${m("leftovers")})`,
      comparison: "> 0",
      for: "15m",
      severity: "ticket",
      summary: "{{ $labels.kind }} leftovers stay on {{ $labels.instance }}",
      description: "The orphan sweep has not removed them for 15 minutes. `fleet health` lists them; `fleet doctor --apply` removes them.",
    },
  ];
}

export interface PrometheusRuleFile {
  groups: { name: string; rules: { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[];
}

export function buildAlertRules(specs: readonly AlertSpec[] = alertSpecs()): PrometheusRuleFile {
  return {
    groups: [
      {
        name: "runner-fleet",
        rules: specs.map((spec) => ({
          alert: spec.alert,
          expr: `${spec.signal} ${spec.comparison}`,
          for: spec.for,
          labels: { severity: spec.severity },
          annotations: { summary: spec.summary, description: spec.description },
        })),
      },
    ],
  };
}

/** The rules file's text (YAML). */
export function renderAlertRules(specs?: readonly AlertSpec[]): string {
  return stringify(buildAlertRules(specs), { lineWidth: 0 });
}
