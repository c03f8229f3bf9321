/**
 * huntaze-api: read the typed stack config, compose the components, export the outputs named in
 * CONTRACTS.md (the deploy tool reads them). Everything else lives in `components/` and `lib/`.
 */
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as pulumi from "@pulumi/pulumi";
import { Alarms } from "./components/alarms";
import { Alerting } from "./components/alerting";
import { Dashboard } from "./components/dashboard";
import { DeadLetterQueue } from "./components/dead-letter-queue";
import { EncryptionKey } from "./components/encryption-key";
import { LambdaFunction } from "./components/function";
import { RestApi } from "./components/rest-api";
import { Schedule } from "./components/schedule";
import { Tracing } from "./components/tracing";
import { loadConfig } from "./config";
import { Naming, partitionOf } from "./lib/naming";

// Validated before anything is declared: bad config fails here with the key and stack file.
const cfg = loadConfig();
const naming = new Naming(cfg.project, cfg.stack);
const partition = partitionOf(cfg.region);
const accountId = getCallerIdentityOutput().accountId;
/** This stack's EventBridge rules: the only ones that may dead-letter into its queue. */
const ruleArnPattern = pulumi.interpolate`arn:${partition}:events:${cfg.region}:${accountId}:rule/${naming.prefix}-*`;

const key = new EncryptionKey("key", {
  description: `${naming.prefix}: alarm topic, dead-letter queue and Lambda environment`,
  aliasName: naming.prefix,
  accountId,
  partition,
  serviceGrants: [
    {
      // CloudWatch alarms publish to the encrypted topic as cloudwatch.amazonaws.com; without
      // this grant SNS rejects the publish and the notification is silently lost.
      sid: "CloudWatchAlarmsPublishToEncryptedTopic",
      service: "cloudwatch.amazonaws.com",
      actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
    },
    {
      // EventBridge writes undeliverable schedule events to the encrypted DLQ.
      sid: "EventBridgeWritesEncryptedDeadLetters",
      service: "events.amazonaws.com",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      condition: { ArnLike: { "aws:SourceArn": ruleArnPattern } },
    },
  ],
});

const alerting = new Alerting("alerting", {
  topicName: naming.name("snsTopic", "alarms"),
  kmsKeyArn: key.arn,
  emails: cfg.alerting.emails,
});

const dlq = new DeadLetterQueue("worker-dlq", {
  queueName: naming.name("sqsQueue", "worker-dlq"),
  kmsKeyArn: key.arn,
  retentionDays: cfg.dlq.retentionDays,
  eventBridgeSourceArnPattern: ruleArnPattern,
});

/** What every function shares: logging, the environment key, and the handlers' contract. */
const common = {
  logRetentionInDays: cfg.logs.retentionInDays,
  applicationLogLevel: cfg.logs.applicationLogLevel,
  systemLogLevel: cfg.logs.systemLogLevel,
  kmsKeyArn: key.arn,
  environment: {
    STAGE: cfg.stage,
    POWERTOOLS_SERVICE_NAME: "huntaze-api",
    SLOW_QUERY_MS: String(cfg.handlers.slowQueryMs),
  },
};

const api = new LambdaFunction("api", {
  ...common,
  functionName: naming.name("lambda", "api"),
  entry: "handlers/api.ts",
  description: "huntaze-api HTTP API (behind API Gateway REST)",
  memoryMb: cfg.api.memoryMb,
  timeoutSeconds: cfg.api.timeoutSeconds,
  reservedConcurrency: cfg.api.reservedConcurrency,
});

const worker = new LambdaFunction("worker", {
  ...common,
  functionName: naming.name("lambda", "worker"),
  entry: "handlers/worker.ts",
  description: "huntaze-api nightly worker (invoked asynchronously by EventBridge)",
  memoryMb: cfg.worker.memoryMb,
  timeoutSeconds: cfg.worker.timeoutSeconds,
  reservedConcurrency: cfg.worker.reservedConcurrency,
  deadLetterQueue: { arn: dlq.arn, kmsKeyArn: key.arn },
  asyncInvoke: {
    maxRetries: cfg.worker.maxRetries,
    maxEventAgeSeconds: cfg.worker.maxEventAgeSeconds,
  },
});

new Schedule("worker-schedule", {
  ruleName: naming.name("eventRule", "worker-nightly"),
  scheduleExpression: cfg.worker.schedule,
  functionName: worker.function.name,
  functionArn: worker.arn,
  deadLetterQueueArn: dlq.arn,
  description: "Nightly revenue roll-up",
});

const restApi = new RestApi("http", {
  apiName: naming.prefix,
  stageName: cfg.api.stageName,
  functionName: api.function.name,
  functionInvokeArn: api.invokeArn,
  logRetentionInDays: cfg.logs.retentionInDays,
  throttleRateLimit: cfg.api.throttle.rateLimit,
  throttleBurstLimit: cfg.api.throttle.burstLimit,
  executionLogLevel: cfg.api.executionLogLevel,
  manageAccountLogRole: cfg.api.manageAccountLogRole,
  region: cfg.region,
  accountId,
  partition,
});

const tracing = new Tracing("tracing", {
  ruleName: naming.name("samplingRule"),
  serviceName: restApi.xrayServiceName,
  resourceArn: restApi.stageArn,
  fixedRate: cfg.tracing.samplingRate,
  reservoirSize: cfg.tracing.reservoirSize,
  priority: cfg.tracing.priority,
});

const alarms = new Alarms("alarms", {
  target: { naming, topicArn: alerting.topicArn, runbookBaseUrl: cfg.runbookBaseUrl },
  errorRatePercent: cfg.alarms.errorRatePercent,
  functions: [
    {
      subject: "api",
      functionName: api.functionName,
      invocation: "request",
      durationP95Ms: cfg.api.durationP95Ms,
      resource: api.function,
    },
    {
      subject: "worker",
      functionName: worker.functionName,
      invocation: "scheduled",
      durationP95Ms: cfg.worker.durationP95Ms,
      resource: worker.function,
    },
  ],
  restApi: {
    apiName: restApi.apiName,
    stageName: restApi.stageName,
    latencyP95Ms: cfg.api.latencyP95Ms,
    serverErrorRatePercent: cfg.api.serverErrorRatePercent,
    resource: restApi.stage,
  },
  deadLetterQueues: [{ queueName: dlq.queueName, resource: dlq.queue }],
});

const dashboard = new Dashboard("dashboard", {
  dashboardName: naming.name("dashboard"),
  region: cfg.region,
  title: `huntaze-api — ${cfg.stack}`,
  definitions: alarms.definitions,
  alarmArns: alarms.alarmArns,
});

export const apiUrl = restApi.url;
export const apiFunctionName = api.function.name;
export const workerFunctionName = worker.function.name;
export const alarmTopicArn = alerting.topicArn;
export const dlqUrl = dlq.url;
export const dlqArn = dlq.arn;
export const dashboardName = dashboard.dashboard.dashboardName;
export const logGroupNames = [
  api.logGroup.name,
  worker.logGroup.name,
  restApi.accessLogGroup.name,
  ...(restApi.executionLogGroup ? [restApi.executionLogGroup.name] : []),
];
export const alarmNames = alarms.alarmNames;
export const samplingRuleName = tracing.samplingRule.ruleName;
export const samplingRate = tracing.fixedRate;
