import type { Context } from "hono";
import type { Metrics } from "../observability/metrics.js";

/** `/metrics`: the Prometheus text exposition of the server's counters and gauges. */
export function createMetricsHandler(metrics: Metrics) {
  return (c: Context): Response =>
    c.body(metrics.render(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
}
