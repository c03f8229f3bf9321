import type { PolicyResource } from "@pulumi/policy";
import { dependenciesVia, isLiteral } from "./stack";

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

/** Whether some indexed alarm's dimensions point at `target` (see `indexAlarmsBy`). */
export type AlarmLookup = (target: PolicyResource, identities: () => string[]) => boolean;

/**
 * The alarms indexed once per stack evaluation, so each target is a lookup rather than a scan of
 * every alarm: by the resources their dimensions were built from, and by the literal values of
 * `dimension`. The lookup decides exactly as scanning `alarms` in order would: the first alarm
 * that depends on the target, has a literal value, or cannot be read at preview comes first;
 * `identities` is read only once a literal value has to be compared, and a dimension unknown at
 * preview throws where the scan would have reached it.
 *
 * With `watches`, only the alarms it accepts are indexed, as a scan testing `watches(alarm)`
 * before the dimensions would: an alarm whose metric cannot be read at preview throws where the
 * scan would have reached it.
 */
export function indexAlarmsBy(
  alarms: PolicyResource[],
  dimension: string,
  watches?: (alarm: PolicyResource) => boolean,
): AlarmLookup {
  const firstByDependency = new Map<string, number>();
  const firstByValue = new Map<string, number>();
  let firstLiteral = Number.POSITIVE_INFINITY;
  let firstUnreadable = Number.POSITIVE_INFINITY;
  let unreadable: unknown;
  alarms.forEach((alarm, i) => {
    try {
      if (watches && !watches(alarm)) return;
    } catch (err) {
      if (i < firstUnreadable) [firstUnreadable, unreadable] = [i, err];
      return;
    }
    for (const d of dependenciesVia(alarm, ALARM_DIMENSION_PROPERTIES)) {
      if (!firstByDependency.has(d.urn)) firstByDependency.set(d.urn, i);
    }
    let values: string[];
    try {
      values = literalDimensionValues(alarm, dimension);
    } catch (err) {
      if (i < firstUnreadable) [firstUnreadable, unreadable] = [i, err];
      return;
    }
    if (values.length > 0 && i < firstLiteral) firstLiteral = i;
    for (const v of values) if (!firstByValue.has(v)) firstByValue.set(v, i);
  });
  return (target, identities) => {
    const dependency = firstByDependency.get(target.urn) ?? Number.POSITIVE_INFINITY;
    const first = Math.min(dependency, firstUnreadable, firstLiteral);
    if (first === Number.POSITIVE_INFINITY) return false;
    if (first === dependency) return true;
    if (first === firstUnreadable) throw unreadable;
    const match = Math.min(
      ...identities().map((id) => firstByValue.get(id) ?? Number.POSITIVE_INFINITY),
    );
    const decided = Math.min(dependency, firstUnreadable, match);
    if (decided === Number.POSITIVE_INFINITY) return false;
    if (decided === firstUnreadable) throw unreadable;
    return true;
  };
}
