import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as pulumi from "@pulumi/pulumi";
import type { AlarmDefinition, MetricRef } from "../lib/alarms";

export interface DashboardArgs {
  /** Physical dashboard name. */
  dashboardName: string;
  region: string;
  /** Shown at the top. */
  title: string;
  /** The alarms whose signals the dashboard graphs, each with its threshold line. */
  definitions: AlarmDefinition[];
  /** ARNs for the alarm status widget. @default [] */
  alarmArns?: pulumi.Input<string>[];
  /**
   * Signals graphed without an alarm (e.g. connection retries: a rotation causes a few).
   * @default []
   */
  signals?: Array<{ title: string; metric: MetricRef; periodSeconds: number }>;
}

const WIDTH = 12;
const HEIGHT = 6;

type WidgetMetric = Array<pulumi.Input<string> | Record<string, unknown>>;

function metricLine(m: MetricRef, extra: Record<string, unknown>): WidgetMetric {
  return [
    m.namespace,
    m.metricName,
    ...Object.entries(m.dimensions).flat(),
    { stat: m.stat, ...extra },
  ];
}

/** The widget `metrics` array of an alarm's signal: the same metrics and math as the alarm. */
export function widgetMetrics(definition: AlarmDefinition): WidgetMetric[] {
  const { signal } = definition;
  if ("metric" in signal) return [metricLine(signal.metric, {})];
  return [
    [{ expression: signal.expression, label: signal.label, id: "signal" }],
    ...Object.entries(signal.metrics).map(([id, m]) => metricLine(m, { id, visible: false })),
  ];
}

/**
 * Metrics graphed beside an alarm's signal to split it. API Gateway's `Latency` is its own
 * overhead plus `IntegrationLatency` (the Lambda function): the two on one graph tell which one
 * is slow (docs/RUNBOOK.md#api-latency-p95).
 */
export function companionMetrics(definition: AlarmDefinition): WidgetMetric[] {
  const { signal } = definition;
  if (
    "metric" in signal &&
    signal.metric.namespace === "AWS/ApiGateway" &&
    signal.metric.metricName === "Latency"
  ) {
    return [
      metricLine(
        { ...signal.metric, metricName: "IntegrationLatency" },
        { label: `IntegrationLatency ${signal.metric.stat} (the Lambda integration)` },
      ),
    ];
  }
  return [];
}

/**
 * A CloudWatch dashboard graphing exactly what the alarms watch (same metrics, statistics,
 * periods and math), with each alarm's threshold drawn, and the alarms' current states on top.
 */
export class Dashboard extends pulumi.ComponentResource {
  readonly dashboard: cloudwatch.Dashboard;
  readonly dashboardName: string;

  constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:Dashboard", name, {}, opts);
    const parent = this;

    const body = normalizeBody();
    this.dashboardName = args.dashboardName;
    this.dashboard = createDashboard();
    this.registerOutputs({ dashboardName: this.dashboard.dashboardName });

    function normalizeBody(): pulumi.Output<string> {
      const widgets: Record<string, unknown>[] = [
        {
          type: "text",
          x: 0,
          y: 0,
          width: 24,
          height: 2,
          properties: {
            markdown: `# ${args.title}\nA graph with a red line is an alarm's signal and its threshold; the last graphs are signals without an alarm. Alarm descriptions link to the runbook.`,
          },
        },
      ];
      let y = 2;
      const alarmArns = args.alarmArns ?? [];
      if (alarmArns.length > 0) {
        widgets.push({
          type: "alarm",
          x: 0,
          y,
          width: 24,
          height: 3,
          properties: { title: "Alarms", alarms: alarmArns, sortBy: "stateUpdatedTimestamp" },
        });
        y += 3;
      }
      // Alarm signals first (with their threshold line), then signals without an alarm, two
      // graphs per row.
      const graphs = [
        ...args.definitions.map((definition) => ({
          title: definition.title,
          period: definition.evaluation.periodSeconds,
          metrics: [...widgetMetrics(definition), ...companionMetrics(definition)],
          annotations: {
            horizontal: [{ label: "alarm threshold", value: definition.threshold }],
          },
        })),
        ...(args.signals ?? []).map((signal) => ({
          title: signal.title,
          period: signal.periodSeconds,
          metrics: [metricLine(signal.metric, {})],
        })),
      ];
      graphs.forEach(({ title, period, metrics, ...rest }, index) => {
        widgets.push({
          type: "metric",
          x: (index % 2) * WIDTH,
          y: y + Math.floor(index / 2) * HEIGHT,
          width: WIDTH,
          height: HEIGHT,
          properties: { title, view: "timeSeries", region: args.region, period, metrics, ...rest },
        });
      });
      return pulumi.jsonStringify({ widgets });
    }

    function createDashboard(): cloudwatch.Dashboard {
      return new cloudwatch.Dashboard(
        `${name}-dashboard`,
        { dashboardName: args.dashboardName, dashboardBody: body },
        { parent },
      );
    }
  }
}
