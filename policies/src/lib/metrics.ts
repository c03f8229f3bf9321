import type { PolicyResource } from "@pulumi/policy";
import { isLiteral } from "./stack";

/** A CloudWatch metric an alarm evaluates, plain or inside a metric-math query. */
export interface AlarmMetric {
  namespace?: string;
  metricName?: string;
}

interface MetricQueryLike {
  metric?: { namespace?: string; metricName?: string; dimensions?: Record<string, string> };
}

function queries(alarm: PolicyResource): MetricQueryLike[] {
  return (alarm.props.metricQueries as MetricQueryLike[] | undefined) ?? [];
}

/** Every metric the alarm reads: its own `metricName`, and each query's `metric`. */
export function alarmMetrics(alarm: PolicyResource): AlarmMetric[] {
  const metrics: AlarmMetric[] = [];
  if (alarm.props.metricName !== undefined) {
    metrics.push({ namespace: alarm.props.namespace, metricName: alarm.props.metricName });
  }
  for (const q of queries(alarm)) {
    if (q.metric) metrics.push({ namespace: q.metric.namespace, metricName: q.metric.metricName });
  }
  return metrics;
}

export function alarmWatches(
  alarm: PolicyResource,
  namespace: string,
  metricNames: readonly string[],
): boolean {
  return alarmMetrics(alarm).some(
    (m) =>
      m.namespace === namespace && m.metricName !== undefined && metricNames.includes(m.metricName),
  );
}

export const ALARM_DIMENSION_PROPERTIES = ["dimensions", "metricQueries"];

/**
 * Literal values of `dimension` in the alarm's dimensions and metric queries. Only called when
 * neither property came from another resource (then the values are known strings).
 */
export function literalDimensionValues(alarm: PolicyResource, dimension: string): string[] {
  if (!isLiteral(alarm, ALARM_DIMENSION_PROPERTIES)) return [];
  const values: string[] = [];
  const own = alarm.props.dimensions as Record<string, string> | undefined;
  if (own?.[dimension] !== undefined) values.push(own[dimension]);
  for (const q of queries(alarm)) {
    const v = q.metric?.dimensions?.[dimension];
    if (v !== undefined) values.push(v);
  }
  return values;
}
