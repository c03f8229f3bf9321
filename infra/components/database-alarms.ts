import { EventRule } from "@pulumi/aws/cloudwatch/eventRule";
import { EventTarget } from "@pulumi/aws/cloudwatch/eventTarget";
import { MetricAlarm } from "@pulumi/aws/cloudwatch/metricAlarm";
import { TopicPolicy } from "@pulumi/aws/sns/topicPolicy";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseAlarmSettings } from "../config";
import {
  type AlarmDefinition,
  type AlarmTarget,
  alarmArgs,
  alarmName,
  type Evaluation,
  lambdaMetric,
  type MetricRef,
} from "../lib/alarms";
import { runbookLink } from "../lib/runbook";

const GIB = 1024 ** 3;
const MINUTE = 60;

/** 5 of 5 one-minute periods: AWS's recommendation for CPU, storage, connections and latency. */
const SUSTAINED: Evaluation = { periodSeconds: MINUTE, datapointsToAlarm: 5, evaluationPeriods: 5 };
/** 15 of 15: memory dips during vacuum or a large sort are normal; only a lasting low pages. */
const PROLONGED: Evaluation = {
  periodSeconds: MINUTE,
  datapointsToAlarm: 15,
  evaluationPeriods: 15,
};
/** 1 of 1 five-minute period: a rotation runs once; one failed run is the whole signal. */
const ONCE: Evaluation = { periodSeconds: 5 * MINUTE, datapointsToAlarm: 1, evaluationPeriods: 1 };

export function rdsMetric(identifier: string, metricName: string, stat: string): MetricRef {
  return {
    namespace: "AWS/RDS",
    metricName,
    dimensions: { DBInstanceIdentifier: identifier },
    stat,
  };
}

export interface DatabaseAlarmsInput {
  /** The instance identifier (the alarms' `DBInstanceIdentifier` dimension). */
  identifier: string;
  allocatedStorageGb: number;
  memoryGiB: number;
  /** `max_connections`, exact (parameter group) or estimated from memory. */
  maxConnections: number;
  /** Whether `maxConnections` is an estimate (said in the description). */
  maxConnectionsEstimated: boolean;
  thresholds: DatabaseAlarmSettings;
  /** The alternating-users rotation function (its errors are a failed rotation). */
  rotationFunctionName: string;
}

function round(n: number): number {
  return Math.round(n);
}

/** ReadLatency or WriteLatency p90 above `thresholdMs` (the metric is in seconds). */
function latencyAlarm(
  identifier: string,
  io: "read" | "write",
  thresholdMs: number,
): AlarmDefinition {
  const metricName = io === "read" ? "ReadLatency" : "WriteLatency";
  return {
    section: `rds-${io}-latency`,
    title: `RDS: ${io} latency p90 (s)`,
    summary: `RDS ${identifier} ${metricName} p90 above ${thresholdMs} ms for 5 of 5 minutes (the metric is in seconds).`,
    signal: { metric: rdsMetric(identifier, metricName, "p90") },
    threshold: thresholdMs / 1000,
    comparison: "GreaterThanThreshold",
    evaluation: SUSTAINED,
    treatMissingData: "missing",
  };
}

/**
 * AWS's recommended RDS alarms (docs: Best_Practice_Recommended_Alarms_AWS_Services), with the
 * thresholds from config. RDS publishes every minute while the instance runs, so a missing
 * datapoint means the instance is stopped or metrics are late: `missing` keeps the last state
 * rather than paging or clearing on a gap.
 */
export function databaseAlarmDefinitions(input: DatabaseAlarmsInput): AlarmDefinition[] {
  const { identifier, thresholds: t } = input;
  const freeStorageBytes = round(input.allocatedStorageGb * GIB * (t.freeStoragePercent / 100));
  const connections = Math.floor(input.maxConnections * (t.connectionsPercent / 100));
  const freeableBytes = round(input.memoryGiB * GIB * (t.freeableMemoryPercent / 100));
  return [
    {
      section: "rds-cpu",
      title: "RDS: CPU (%)",
      summary: `RDS ${identifier} CPUUtilization (Average) above ${t.cpuPercent} % for 5 of 5 minutes.`,
      signal: { metric: rdsMetric(identifier, "CPUUtilization", "Average") },
      threshold: t.cpuPercent,
      comparison: "GreaterThanThreshold",
      evaluation: SUSTAINED,
      treatMissingData: "missing",
    },
    {
      section: "rds-free-storage",
      title: "RDS: free storage (bytes)",
      summary: `RDS ${identifier} FreeStorageSpace (Minimum) below ${t.freeStoragePercent} % of the ${input.allocatedStorageGb} GiB allocated (${freeStorageBytes} bytes) for 5 of 5 minutes; storage autoscaling, when on, grows it at the same point.`,
      signal: { metric: rdsMetric(identifier, "FreeStorageSpace", "Minimum") },
      threshold: freeStorageBytes,
      comparison: "LessThanThreshold",
      evaluation: SUSTAINED,
      treatMissingData: "missing",
    },
    {
      section: "rds-connections",
      title: "RDS: connections",
      summary: `RDS ${identifier} DatabaseConnections (Average) above ${connections}, ${t.connectionsPercent} % of max_connections (${input.maxConnections}${input.maxConnectionsEstimated ? `, estimated from the class's ${input.memoryGiB} GiB` : ""}), for 5 of 5 minutes.`,
      signal: { metric: rdsMetric(identifier, "DatabaseConnections", "Average") },
      threshold: connections,
      comparison: "GreaterThanThreshold",
      evaluation: SUSTAINED,
      treatMissingData: "missing",
    },
    {
      section: "rds-freeable-memory",
      title: "RDS: freeable memory (bytes)",
      summary: `RDS ${identifier} FreeableMemory (Average) below ${t.freeableMemoryPercent} % of the class's ${input.memoryGiB} GiB (${freeableBytes} bytes) for 15 of 15 minutes.`,
      signal: { metric: rdsMetric(identifier, "FreeableMemory", "Average") },
      threshold: freeableBytes,
      comparison: "LessThanThreshold",
      evaluation: PROLONGED,
      treatMissingData: "missing",
    },
    latencyAlarm(identifier, "read", t.readLatencyMs),
    latencyAlarm(identifier, "write", t.writeLatencyMs),
    {
      section: "secret-rotation-failed",
      subject: "errors",
      title: "Secret rotation function: errors",
      summary: `The database secret rotation function ${input.rotationFunctionName} failed (Errors, Sum > 0, in one five-minute period): a rotation step failed, the secret keeps its previous credentials.`,
      signal: { metric: lambdaMetric(input.rotationFunctionName, "Errors", "Sum") },
      threshold: 0,
      comparison: "GreaterThanThreshold",
      evaluation: ONCE,
      // It runs once a rotation: silence is health.
      treatMissingData: "notBreaching",
    },
  ];
}

export interface DatabaseAlarmsArgs extends DatabaseAlarmsInput {
  target: AlarmTarget;
  /** The alerting topic's name part of ARNs is not needed: its ARN and the account. */
  accountId: pulumi.Input<string>;
  /** Physical name of the rotation-failure rule (`huntaze-api-<stack>-secret-rotation-failed`). */
  ruleName: string;
  /**
   * Where EventBridge puts a rotation-failure event it could not deliver to the topic.
   * @default none
   */
  deadLetterQueueArn?: pulumi.Input<string>;
  /** The instance, so the alarms are created (and matched by policies) after it. @default none */
  resource?: pulumi.Resource;
}

/**
 * The data tier's alarms, with the project's conventions (alarm and OK actions to the alerting
 * topic, M-of-N, runbook link): RDS CPU, free storage, connections, freeable memory, read and
 * write latency, and the rotation function's errors; plus Secrets Manager's own
 * `RotationFailed` event (CloudTrail, via EventBridge) sent to the same topic, which also
 * covers the RDS-managed master secret's rotation (no function of ours involved).
 *
 * The topic policy written here keeps AWS's default statement (this account's principals and
 * CloudWatch alarms) and adds EventBridge for that one rule. The topic's KMS key must let
 * `events.amazonaws.com` use it (`Alerting.eventRulesKeyGrant`).
 */
export class DatabaseAlarms extends pulumi.ComponentResource {
  readonly definitions: AlarmDefinition[];
  readonly alarms: MetricAlarm[];
  readonly alarmNames: string[];
  readonly alarmArns: pulumi.Output<string>[];
  readonly rotationFailedRule: EventRule;
  readonly rotationFailedTarget: EventTarget;
  readonly topicPolicy: TopicPolicy;

  constructor(name: string, args: DatabaseAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:DatabaseAlarms", name, {}, opts);
    const parent = this;

    this.definitions = normalizeDefinitions();
    this.alarms = this.definitions.map(createAlarm);
    this.alarmNames = this.definitions.map((d) => alarmName(args.target.naming, d));
    this.alarmArns = this.alarms.map((a) => a.arn);
    this.rotationFailedRule = createRule();
    this.topicPolicy = createTopicPolicy(this.rotationFailedRule);
    this.rotationFailedTarget = createTarget(this.rotationFailedRule, this.topicPolicy);
    this.registerOutputs({ alarmNames: this.alarmNames, ruleName: args.ruleName });

    function normalizeDefinitions(): AlarmDefinition[] {
      if (!(args.maxConnections > 0) || !(args.memoryGiB > 0)) {
        throw new Error(`${name}: maxConnections and memoryGiB must be positive`);
      }
      return databaseAlarmDefinitions(args);
    }

    function createAlarm(definition: AlarmDefinition): MetricAlarm {
      const suffix = [definition.section, definition.subject].filter(Boolean).join("-");
      return new MetricAlarm(`${name}-${suffix}`, alarmArgs(args.target, definition), {
        parent,
        dependsOn: args.resource ? [args.resource] : [],
      });
    }

    function createRule(): EventRule {
      return new EventRule(
        `${name}-rotation-failed`,
        {
          name: args.ruleName,
          description: `Secrets Manager could not rotate a secret (RotationFailed). ${runbookLink(args.target.runbookBaseUrl, "secret-rotation-failed")}`,
          // Rotation outcomes are CloudTrail service events. Every secret of the account and
          // region matches (a stack owns its account, see README): a filter on the secret's id
          // could silently match nothing if the event's shape changed.
          eventPattern: JSON.stringify({
            source: ["aws.secretsmanager"],
            "detail-type": ["AWS Service Event via CloudTrail"],
            detail: {
              eventSource: ["secretsmanager.amazonaws.com"],
              eventName: ["RotationFailed"],
            },
          }),
        },
        { parent },
      );
    }

    function createTopicPolicy(rule: EventRule): TopicPolicy {
      const topicArn = args.target.topicArn;
      return new TopicPolicy(
        `${name}-topic-policy`,
        {
          arn: topicArn,
          policy: pulumi.jsonStringify({
            Version: "2008-10-17",
            Statement: [
              {
                // AWS's default topic policy, kept: this account's principals, CloudWatch
                // alarms among them, may publish and manage the topic.
                Sid: "__default_statement_ID",
                Effect: "Allow",
                Principal: { AWS: "*" },
                Action: [
                  "SNS:GetTopicAttributes",
                  "SNS:SetTopicAttributes",
                  "SNS:AddPermission",
                  "SNS:RemovePermission",
                  "SNS:DeleteTopic",
                  "SNS:Subscribe",
                  "SNS:ListSubscriptionsByTopic",
                  "SNS:Publish",
                ],
                Resource: topicArn,
                Condition: { StringEquals: { "AWS:SourceOwner": args.accountId } },
              },
              {
                Sid: "EventBridgeRotationFailures",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { ArnEquals: { "aws:SourceArn": rule.arn } },
              },
            ],
          }),
        },
        { parent },
      );
    }

    function createTarget(rule: EventRule, policy: TopicPolicy): EventTarget {
      const alarm = `${args.target.naming.prefix}-secret-rotation-failed`;
      const link = runbookLink(args.target.runbookBaseUrl, "secret-rotation-failed");
      return new EventTarget(
        `${name}-rotation-failed-target`,
        {
          rule: rule.name,
          arn: args.target.topicArn,
          // A readable notification: what failed, when, the event's detail (secret id, error),
          // and the runbook. Only paths every event has, so the transform cannot fail.
          inputTransformer: {
            inputPaths: { time: "$.time", detail: "$.detail" },
            inputTemplate: `{"alarm": "${alarm}", "what": "Secrets Manager could not rotate a secret", "time": <time>, "detail": <detail>, "runbook": "${link.replace(/^Runbook: /, "")}"}`,
          },
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
          deadLetterConfig:
            args.deadLetterQueueArn === undefined ? undefined : { arn: args.deadLetterQueueArn },
        },
        // Without the topic policy, the first deliveries would be refused.
        { parent, dependsOn: [policy] },
      );
    }
  }
}
