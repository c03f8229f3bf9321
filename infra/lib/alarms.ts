/**
 * Alarm building blocks shared by every component that alarms (functions, API, queues, and the
 * data tier's RDS and secret alarms): metric references, metric-math rate signals, evaluation
 * windows, and one function that turns a definition into `MetricAlarm` arguments with the
 * project's conventions — physical name `huntaze-api-<stack>-<section>[-<subject>]`, alarm AND
 * OK actions to the alerting topic, and a description ending with the runbook link.
 */
import type { MetricAlarmArgs } from "@pulumi/aws/cloudwatch";
import type * as pulumi from "@pulumi/pulumi";
import type { Naming } from "./naming";
import { type RunbookSection, runbookLink } from "./runbook";

/** One CloudWatch metric with its statistic (`Sum`, `Maximum`, `p95`, …). */
export interface MetricRef {
  namespace: string;
  metricName: string;
  dimensions: Record<string, pulumi.Input<string>>;
  stat: string;
}

/** A math expression over named metrics; ids must start with a lower-case letter. */
export interface ExpressionSignal {
  expression: string;
  label: string;
  metrics: Record<string, MetricRef>;
}

export type Signal = { metric: MetricRef } | ExpressionSignal;

/**
 * M of N: the alarm fires when `datapointsToAlarm` of the last `evaluationPeriods` periods
 * breach. Requiring several breaching minutes keeps one cold start from paging anyone.
 */
export interface Evaluation {
  periodSeconds: number;
  datapointsToAlarm: number;
  evaluationPeriods: number;
}

export type TreatMissingData = "missing" | "notBreaching" | "breaching" | "ignore";
export type Comparison =
  | "GreaterThanThreshold"
  | "GreaterThanOrEqualToThreshold"
  | "LessThanThreshold"
  | "LessThanOrEqualToThreshold";

export interface AlarmDefinition {
  /** The runbook section: also the middle of the physical name. */
  section: RunbookSection;
  /**
   * What the alarm watches when a section has several (`api`, `worker`): the name suffix.
   * @default none (one alarm of its section per stack)
   */
  subject?: string;
  /** Human title (dashboard widget, first words of the description). */
  title: string;
  /** The description before the runbook link: what breached, on which metric, and why it matters. */
  summary: string;
  signal: Signal;
  threshold: number;
  comparison: Comparison;
  evaluation: Evaluation;
  treatMissingData: TreatMissingData;
}

/** Where alarms notify and how they are named. */
export interface AlarmTarget {
  naming: Naming;
  topicArn: pulumi.Input<string>;
  runbookBaseUrl: string;
}

const PERCENTILE = /^p\d{1,2}(\.\d+)?$/;

export function lambdaMetric(
  functionName: pulumi.Input<string>,
  metricName: string,
  stat: string,
): MetricRef {
  return { namespace: "AWS/Lambda", metricName, dimensions: { FunctionName: functionName }, stat };
}

/** REST API (v1) metrics are keyed by API name and stage (HTTP APIs use ApiId instead). */
export function restApiMetric(
  apiName: pulumi.Input<string>,
  stageName: pulumi.Input<string>,
  metricName: string,
  stat: string,
): MetricRef {
  return {
    namespace: "AWS/ApiGateway",
    metricName,
    dimensions: { ApiName: apiName, Stage: stageName },
    stat,
  };
}

/**
 * The handlers' own metrics (Powertools Metrics, EMF; handlers/lib/metrics.ts): namespace
 * `huntaze-api`, dimensions `service` and `stage`.
 */
export const APP_METRICS_NAMESPACE = "huntaze-api";
export const APP_SERVICE_NAME = "huntaze-api";

export function appMetric(stage: string, metricName: string, stat: string): MetricRef {
  return {
    namespace: APP_METRICS_NAMESPACE,
    metricName,
    dimensions: { service: APP_SERVICE_NAME, stage },
    stat,
  };
}

export function sqsMetric(
  queueName: pulumi.Input<string>,
  metricName: string,
  stat: string,
): MetricRef {
  return { namespace: "AWS/SQS", metricName, dimensions: { QueueName: queueName }, stat };
}

/**
 * `IF(<total> > 0, 100 * errors / <total>, 0)`: a percentage that is 0, not missing or a
 * division by zero, in a minute with no traffic.
 */
export function rateSignal(
  errors: MetricRef,
  total: MetricRef,
  totalId: string,
  label: string,
): ExpressionSignal {
  return {
    expression: `IF(${totalId} > 0, 100 * errors / ${totalId}, 0)`,
    label,
    metrics: { errors, [totalId]: total },
  };
}

export function alarmName(naming: Naming, definition: AlarmDefinition): string {
  return naming.name(
    "alarm",
    ...[definition.section, definition.subject].filter((p): p is string => !!p),
  );
}

/** Checks what CloudWatch would reject at deploy time, so the preview fails instead. */
export function validateAlarm(definition: AlarmDefinition): void {
  const { datapointsToAlarm, evaluationPeriods, periodSeconds } = definition.evaluation;
  const where = `alarm ${definition.section}${definition.subject ? `-${definition.subject}` : ""}`;
  if (!(datapointsToAlarm >= 1 && evaluationPeriods >= datapointsToAlarm)) {
    throw new Error(
      `${where}: evaluationPeriods (${evaluationPeriods}) must be ≥ datapointsToAlarm (${datapointsToAlarm}) ≥ 1`,
    );
  }
  if (periodSeconds % 60 !== 0 || periodSeconds * evaluationPeriods > 86400) {
    throw new Error(
      `${where}: the period must be a multiple of 60 s and the window at most one day`,
    );
  }
  if ("expression" in definition.signal) {
    for (const id of Object.keys(definition.signal.metrics)) {
      if (!/^[a-z][A-Za-z0-9_]*$/.test(id)) {
        throw new Error(`${where}: metric id "${id}" must start with a lower-case letter`);
      }
    }
  }
}

/** `MetricAlarm` arguments for a definition, with the project's naming and actions. */
export function alarmArgs(target: AlarmTarget, definition: AlarmDefinition): MetricAlarmArgs {
  validateAlarm(definition);
  const { evaluation, signal } = definition;
  const common: MetricAlarmArgs = {
    name: alarmName(target.naming, definition),
    alarmDescription: `${definition.summary} ${runbookLink(target.runbookBaseUrl, definition.section)}`,
    comparisonOperator: definition.comparison,
    threshold: definition.threshold,
    evaluationPeriods: evaluation.evaluationPeriods,
    datapointsToAlarm: evaluation.datapointsToAlarm,
    treatMissingData: definition.treatMissingData,
    actionsEnabled: true,
    alarmActions: [target.topicArn],
    okActions: [target.topicArn],
  };
  if ("metric" in signal) {
    const m = signal.metric;
    return {
      ...common,
      namespace: m.namespace,
      metricName: m.metricName,
      dimensions: m.dimensions,
      period: evaluation.periodSeconds,
      ...(PERCENTILE.test(m.stat) ? { extendedStatistic: m.stat } : { statistic: m.stat }),
    };
  }
  return {
    ...common,
    metricQueries: [
      ...Object.entries(signal.metrics).map(([id, m]) => ({
        id,
        returnData: false,
        metric: {
          namespace: m.namespace,
          metricName: m.metricName,
          dimensions: m.dimensions,
          period: evaluation.periodSeconds,
          stat: m.stat,
        },
      })),
      { id: "signal", expression: signal.expression, label: signal.label, returnData: true },
    ],
  };
}
