/**
 * CloudWatch metrics for the signals prod's log level would otherwise drop: slow queries and
 * connection retries (Powertools Metrics, one instance per runtime). Each event is written at
 * once as an Embedded Metric Format (EMF) document on stdout; CloudWatch Logs extracts the metric
 * from it, with no CloudWatch API call from inside the VPC.
 *
 * Why each document carries `level`: Lambda's log-level filtering keeps a JSON line by its
 * `level` field and treats a line without one as INFO (Lambda Developer Guide, "Log-level
 * filtering"), so with prod's `applicationLogLevel: ERROR` a bare EMF document would be dropped
 * before CloudWatch ever saw the metric. The document therefore says the function's own
 * application level (`AWS_LAMBDA_LOG_LEVEL`, which Lambda sets from `loggingConfig`), the one
 * level the filter always keeps; CloudWatch ignores root members that are neither metrics nor
 * dimensions when it extracts ("Specification: Embedded metric format").
 */
import type { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

/** The namespace and metric names the infra's alarms and dashboard read. */
export const METRICS_NAMESPACE = "huntaze-api";
export const SLOW_QUERIES = "SlowQueries";
export const CONNECTION_RETRIES = "ConnectionRetries";

export type RetryReason = "credentials-refused" | "connection-lost" | "accelerate-key-refused";

export interface MetricsOptions {
  /** `stage` dimension. @default process.env.STAGE, else "local" */
  stage?: string;
  /** `service` dimension. @default process.env.POWERTOOLS_SERVICE_NAME, else "huntaze-api" */
  serviceName?: string;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  // Required here, not imported: most cold starts publish no metric on their first request, so
  // the package is loaded with the first metric (a bundle ships it as its own file beside
  // index.js, LAZY_MODULES in infra/lib/bundle.ts), ~4 ms less at `require`.
  const { Metrics: PowertoolsMetrics } =
    require("@aws-lambda-powertools/metrics") as typeof import("@aws-lambda-powertools/metrics");
  return new PowertoolsMetrics({
    namespace: METRICS_NAMESPACE,
    serviceName: options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? "huntaze-api",
    defaultDimensions: { stage: options.stage ?? (process.env.STAGE?.trim() || "local") },
  });
}

let shared: Metrics | undefined;

/** The runtime's metrics, created with its first metric. */
export function runtimeMetrics(): Metrics {
  shared ??= createMetrics();
  return shared;
}

/** A count, the unit of every metric here (`MetricUnit.Count` without loading the package). */
const COUNT: (typeof MetricUnit)["Count"] = "Count";

/** Publishes one count now, with its details as (non-dimension) metadata. */
function emit(
  target: Metrics,
  name: string,
  details: Record<string, string | number>,
  level = process.env.AWS_LAMBDA_LOG_LEVEL?.trim() || "INFO",
): void {
  const single = target.singleMetric();
  single.addMetadata("level", level.toUpperCase());
  for (const [key, value] of Object.entries(details)) single.addMetadata(key, String(value));
  // A single metric publishes on addMetric.
  single.addMetric(name, COUNT, 1);
}

/** One operation at least `SLOW_QUERY_MS` slow (model and operation only, never arguments). */
export function recordSlowQuery(
  query: { model: string; operation: string; durationMs: number },
  target: Metrics = runtimeMetrics(),
): void {
  emit(target, SLOW_QUERIES, query);
}

/** One retry of a database operation after the connection, not the request, failed. */
export function recordConnectionRetry(
  reason: RetryReason,
  target: Metrics = runtimeMetrics(),
): void {
  emit(target, CONNECTION_RETRIES, { reason });
}
