/** The controller's Prometheus registry, built from the metric catalog. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { metricCatalog, type MetricKey } from "./metric-catalog.ts";

type Catalog = typeof metricCatalog;
type InstrumentOf<K extends MetricKey> = Catalog[K]["kind"] extends "counter"
  ? Counter<string>
  : Catalog[K]["kind"] extends "gauge"
    ? Gauge<string>
    : Histogram<string>;

export type Metrics = { registry: Registry } & { [K in MetricKey]: InstrumentOf<K> };

export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "runner_fleet_controller_" });
  const instruments: Record<string, Counter<string> | Gauge<string> | Histogram<string>> = {};
  for (const [key, spec] of Object.entries(metricCatalog)) {
    const common = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry] };
    instruments[key] =
      spec.kind === "counter"
        ? new Counter(common)
        : spec.kind === "gauge"
          ? new Gauge(common)
          : new Histogram({ ...common, buckets: [...(("buckets" in spec && spec.buckets) || [])] });
  }
  return { registry, ...instruments } as Metrics;
}
