import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as pulumi from "@pulumi/pulumi";
import {
  type AlarmDefinition,
  type AlarmTarget,
  alarmArgs,
  alarmName,
  appMetric,
  type Evaluation,
  lambdaMetric,
  rateSignal,
  restApiMetric,
  sqsMetric,
} from "../lib/alarms";

/**
 * How a function is invoked decides how its alarms evaluate:
 * - `request`: steady traffic; several breaching minutes out of five before paging, so one cold
 *   start or one bad request does not flap the alarm.
 * - `scheduled`: one run a night yields one datapoint; a single breach is the whole signal.
 */
export type InvocationPattern = "request" | "scheduled";

export interface FunctionAlarmsInput {
  /** Short name used in alarm names (`api`, `worker`). */
  subject: string;
  functionName: string;
  invocation: InvocationPattern;
  /** Lambda `Duration` p95 threshold in milliseconds. */
  durationP95Ms: number;
  /**
   * The function resource, so alarms are created (and matched by policies) after it.
   * @default none
   */
  resource?: pulumi.Resource;
}

export interface AlarmsArgs {
  target: AlarmTarget;
  /** Error-rate threshold of every function, in percent of invocations. */
  errorRatePercent: number;
  functions: FunctionAlarmsInput[];
  /** The REST API's stage: latency p95 and 5xx rate. @default none */
  restApi?: {
    apiName: string;
    stageName: string;
    latencyP95Ms: number;
    serverErrorRatePercent: number;
    resource?: pulumi.Resource;
  };
  /**
   * The handlers' slow-query count (`SlowQueries`, EMF): more than `slowQueriesPerMinute` in 3 of
   * 5 minutes pages. @default none
   */
  slowQueries?: { stage: string; slowQueriesPerMinute: number; slowQueryMs: number };
  /** Dead-letter queues: any message is an alarm. @default [] */
  deadLetterQueues?: Array<{ queueName: string; subject?: string; resource?: pulumi.Resource }>;
}

const MINUTE = 60;
/** 3 of 5 one-minute periods: errors, throttles and 5xx under steady traffic. */
const RATE_REQUEST: Evaluation = {
  periodSeconds: MINUTE,
  datapointsToAlarm: 3,
  evaluationPeriods: 5,
};
/** 5 of 5: latency percentiles move with cold starts, so only a sustained breach pages (as AWS recommends). */
const LATENCY_REQUEST: Evaluation = {
  periodSeconds: MINUTE,
  datapointsToAlarm: 5,
  evaluationPeriods: 5,
};
/** 1 of 1 five-minute period: a nightly run and its retries fit in one window. */
const SCHEDULED: Evaluation = {
  periodSeconds: 5 * MINUTE,
  datapointsToAlarm: 1,
  evaluationPeriods: 1,
};
/** 1 of 1: a single dead letter is a lost event that needs a person. */
const QUEUE_DEPTH: Evaluation = {
  periodSeconds: MINUTE,
  datapointsToAlarm: 1,
  evaluationPeriods: 1,
};

function describeEvaluation(e: Evaluation): string {
  const unit = e.periodSeconds === MINUTE ? "one-minute" : `${e.periodSeconds / MINUTE}-minute`;
  return `${e.datapointsToAlarm} of ${e.evaluationPeriods} ${unit} period${e.evaluationPeriods > 1 ? "s" : ""}`;
}

/** The alarm definitions for one function: error rate, duration p95, throttles. */
export function functionAlarmDefinitions(
  fn: FunctionAlarmsInput,
  errorRatePercent: number,
): AlarmDefinition[] {
  const rateWindow = fn.invocation === "request" ? RATE_REQUEST : SCHEDULED;
  const latencyWindow = fn.invocation === "request" ? LATENCY_REQUEST : SCHEDULED;
  return [
    {
      section: "function-error-rate",
      subject: fn.subject,
      title: `${fn.subject}: error rate (%)`,
      // Errors counts only failed invocations (crash, timeout, out of memory): a request the
      // handler answers with a 5xx is a successful invocation, seen by the API's 5xx-rate alarm.
      summary: `Error rate of Lambda ${fn.functionName} (100 × Errors / Invocations, metric math: crashes and timeouts${fn.invocation === "request" ? "; handled 5xx responses are in api-5xx-rate" : ""}) above ${errorRatePercent} % in ${describeEvaluation(rateWindow)}.`,
      signal: rateSignal(
        lambdaMetric(fn.functionName, "Errors", "Sum"),
        lambdaMetric(fn.functionName, "Invocations", "Sum"),
        "invocations",
        "Error rate (%)",
      ),
      threshold: errorRatePercent,
      comparison: "GreaterThanThreshold",
      evaluation: rateWindow,
      // No invocations, no datapoints: an idle function is not failing.
      treatMissingData: "notBreaching",
    },
    {
      section: "function-duration-p95",
      subject: fn.subject,
      title: `${fn.subject}: duration p95 (ms)`,
      summary: `Lambda Duration p95 of ${fn.functionName} (handler time only, without API Gateway overhead) above ${fn.durationP95Ms} ms in ${describeEvaluation(latencyWindow)}.`,
      signal: { metric: lambdaMetric(fn.functionName, "Duration", "p95") },
      threshold: fn.durationP95Ms,
      comparison: "GreaterThanThreshold",
      evaluation: latencyWindow,
      // No invocations means nothing was slow.
      treatMissingData: "notBreaching",
    },
    {
      section: "function-throttles",
      subject: fn.subject,
      title: `${fn.subject}: throttles`,
      summary: `Lambda ${fn.functionName} throttled (Throttles, Sum > 0) in ${describeEvaluation(rateWindow)}: its reserved concurrency is exhausted.`,
      signal: { metric: lambdaMetric(fn.functionName, "Throttles", "Sum") },
      threshold: 0,
      comparison: "GreaterThanThreshold",
      evaluation: rateWindow,
      // Throttles is only published while the function is invoked: silence is healthy.
      treatMissingData: "notBreaching",
    },
  ];
}

/** The alarm definitions of a REST API stage: client-visible latency p95 and 5xx rate. */
export function restApiAlarmDefinitions(
  api: NonNullable<AlarmsArgs["restApi"]>,
): AlarmDefinition[] {
  const target = `${api.apiName}/${api.stageName}`;
  return [
    {
      section: "api-latency-p95",
      title: "API: latency p95 (ms)",
      summary: `API Gateway Latency p95 of ${target} (what clients see: API Gateway plus the Lambda integration) above ${api.latencyP95Ms} ms in ${describeEvaluation(LATENCY_REQUEST)}.`,
      signal: { metric: restApiMetric(api.apiName, api.stageName, "Latency", "p95") },
      threshold: api.latencyP95Ms,
      comparison: "GreaterThanThreshold",
      evaluation: LATENCY_REQUEST,
      // No requests means nothing was slow.
      treatMissingData: "notBreaching",
    },
    {
      section: "api-5xx-rate",
      title: "API: 5xx rate (%)",
      summary: `5XX rate of ${target} (100 × 5XXError / Count, metric math) above ${api.serverErrorRatePercent} % in ${describeEvaluation(RATE_REQUEST)}.`,
      signal: rateSignal(
        restApiMetric(api.apiName, api.stageName, "5XXError", "Sum"),
        restApiMetric(api.apiName, api.stageName, "Count", "Sum"),
        "requests",
        "5xx rate (%)",
      ),
      threshold: api.serverErrorRatePercent,
      comparison: "GreaterThanThreshold",
      evaluation: RATE_REQUEST,
      // No requests, no server errors.
      treatMissingData: "notBreaching",
    },
  ];
}

/** Slow queries, counted by the handlers as metrics (the WARN log line is dropped in prod). */
export function slowQueriesAlarmDefinition(
  input: NonNullable<AlarmsArgs["slowQueries"]>,
): AlarmDefinition {
  return {
    section: "slow-queries",
    title: "Slow queries (per minute)",
    summary: `More than ${input.slowQueriesPerMinute} database operations a minute took at least ${input.slowQueryMs} ms (huntaze-api SlowQueries, Sum, stage ${input.stage}) in ${describeEvaluation(RATE_REQUEST)}.`,
    signal: { metric: appMetric(input.stage, "SlowQueries", "Sum") },
    threshold: input.slowQueriesPerMinute,
    comparison: "GreaterThanThreshold",
    evaluation: RATE_REQUEST,
    // The metric exists only in minutes with a slow query.
    treatMissingData: "notBreaching",
  };
}

export function deadLetterQueueAlarmDefinition(queue: {
  queueName: string;
  subject?: string;
}): AlarmDefinition {
  return {
    section: "dlq-depth",
    subject: queue.subject,
    title: `${queue.queueName}: messages`,
    summary: `Dead-letter queue ${queue.queueName} holds messages (ApproximateNumberOfMessagesVisible, Maximum > 0): an asynchronous invocation failed every attempt.`,
    signal: { metric: sqsMetric(queue.queueName, "ApproximateNumberOfMessagesVisible", "Maximum") },
    threshold: 0,
    comparison: "GreaterThanThreshold",
    evaluation: QUEUE_DEPTH,
    // SQS stops publishing metrics for a queue idle for hours; an empty idle queue is healthy,
    // and a queue holding messages counts as active and keeps publishing.
    treatMissingData: "notBreaching",
  };
}

/**
 * Every alarm of the compute side, each notifying the alerting topic on ALARM and on OK, and
 * linking to its runbook section.
 */
export class Alarms extends pulumi.ComponentResource {
  readonly definitions: AlarmDefinition[];
  readonly alarms: cloudwatch.MetricAlarm[];
  /** Physical alarm names, known before deploy. */
  readonly alarmNames: string[];
  readonly alarmArns: pulumi.Output<string>[];

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:Alarms", name, {}, opts);
    const parent = this;

    const planned = normalizeDefinitions();
    this.definitions = planned.map((p) => p.definition);
    this.alarms = planned.map(createAlarm);
    this.alarmNames = this.definitions.map((d) => alarmName(args.target.naming, d));
    this.alarmArns = this.alarms.map((a) => a.arn);
    this.registerOutputs({ alarmNames: this.alarmNames });

    function normalizeDefinitions(): Array<{
      definition: AlarmDefinition;
      resource?: pulumi.Resource;
    }> {
      const planned = [
        ...args.functions.flatMap((fn) =>
          functionAlarmDefinitions(fn, args.errorRatePercent).map((definition) => ({
            definition,
            resource: fn.resource,
          })),
        ),
        ...(args.restApi
          ? restApiAlarmDefinitions(args.restApi).map((definition) => ({
              definition,
              resource: args.restApi?.resource,
            }))
          : []),
        ...(args.slowQueries
          ? [{ definition: slowQueriesAlarmDefinition(args.slowQueries), resource: undefined }]
          : []),
        ...(args.deadLetterQueues ?? []).map((queue) => ({
          definition: deadLetterQueueAlarmDefinition(queue),
          resource: queue.resource,
        })),
      ];
      const seen = new Set<string>();
      for (const { definition } of planned) {
        const key = `${definition.section}/${definition.subject ?? ""}`;
        if (seen.has(key)) throw new Error(`${name}: two alarms would be named ${key}`);
        seen.add(key);
      }
      return planned;
    }

    function createAlarm(planned: {
      definition: AlarmDefinition;
      resource?: pulumi.Resource;
    }): cloudwatch.MetricAlarm {
      const { definition, resource } = planned;
      const suffix = [definition.section, definition.subject].filter(Boolean).join("-");
      return new cloudwatch.MetricAlarm(`${name}-${suffix}`, alarmArgs(args.target, definition), {
        parent,
        dependsOn: resource ? [resource] : [],
      });
    }
  }
}
