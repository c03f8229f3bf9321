import * as assert from "node:assert/strict";
import { Integration as RestApiIntegration } from "@pulumi/aws/apigateway/integration";
import { RestApi } from "@pulumi/aws/apigateway/restApi";
import { Stage as RestApiStage } from "@pulumi/aws/apigateway/stage";
import { EventTarget } from "@pulumi/aws/cloudwatch/eventTarget";
import { MetricAlarm } from "@pulumi/aws/cloudwatch/metricAlarm";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import { Queue } from "@pulumi/aws/sqs/queue";
import {
  cloudwatchAlarmActions,
  dlqDepthAlarm,
  lambdaErrorAlarm,
  lambdaLatencyAlarm,
  rdsInstanceAlarms,
} from "../../policies/src/alarms";
import {
  alarmSpec,
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNeedsUnknownValue,
  assertNoResourceViolations,
  assertNoStackViolations,
  assertStackNotApplicable,
  createResourceValidationArgs,
  createStackValidationArgs,
  res,
  runStackPolicy,
  type StackResourceSpec,
  UNKNOWN,
} from "./helpers";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:huntaze-api-prod-alarms";

function errorRateAlarm(name: string, fn: StackResourceSpec | string): StackResourceSpec {
  const functionName = typeof fn === "string" ? fn : UNKNOWN;
  const metric = (id: string, metricName: string) => ({
    id,
    metric: {
      namespace: "AWS/Lambda",
      metricName,
      dimensions: { FunctionName: functionName },
      period: 60,
      stat: "Sum",
    },
  });
  return res(
    MetricAlarm,
    name,
    {
      alarmActions: [TOPIC],
      metricQueries: [
        metric("errors", "Errors"),
        metric("invocations", "Invocations"),
        {
          id: "rate",
          expression: "IF(invocations > 0, 100 * errors / invocations, 0)",
          returnData: true,
        },
      ],
    },
    typeof fn === "string" ? {} : { metricQueries: [fn] },
  );
}

/** An alarm on a plain metric, notifying the alarm topic. */
const plainAlarm = alarmSpec.bind(undefined, TOPIC);

describe("#cloudwatch-alarm-actions", () => {
  const policy = cloudwatchAlarmActions;
  const happy = (props: Record<string, unknown> = {}, config?: Record<string, unknown>) =>
    createResourceValidationArgs(
      MetricAlarm,
      {
        namespace: "AWS/Lambda",
        metricName: "Errors",
        alarmActions: [TOPIC],
        okActions: [TOPIC],
        ...props,
      },
      { config },
    );

  it("passes an alarm that notifies the alert topic", async () => {
    await assertNoResourceViolations(policy, happy());
  });

  it("passes an alarm whose topic ARN is still unknown: only the count of actions matters", async () => {
    await assertNoResourceViolations(policy, happy({ alarmActions: [UNKNOWN] }));
  });

  it("fails an alarm without alarm actions", async () => {
    await assertHasResourceViolation(policy, happy({ alarmActions: undefined }), {
      message:
        "CloudWatch alarm must have at least one alarm action (alarmActions), e.g. the SNS alert topic.",
    });
    await assertHasResourceViolation(policy, happy({ alarmActions: [] }), {
      message: "at least one alarm action",
    });
  });

  it("fails an alarm with its actions disabled", async () => {
    await assertHasResourceViolation(policy, happy({ actionsEnabled: false }), {
      message: "CloudWatch alarm must have its actions enabled (actionsEnabled is false).",
    });
  });

  it("requires OK actions only when the config asks", async () => {
    await assertNoResourceViolations(policy, happy({ okActions: undefined }));
    await assertHasResourceViolation(
      policy,
      happy({ okActions: undefined }, { requireOkActions: true }),
      {
        message: "CloudWatch alarm must have at least one OK action (okActions).",
      },
    );
  });
});

describe("#lambda-error-alarm", () => {
  const policy = lambdaErrorAlarm;
  const fn = res(LambdaFunction, "api-function", { name: "huntaze-api-prod-api" });

  it("passes a function with a metric-math error-rate alarm built from its (unknown) name", async () => {
    const unknownFn = res(LambdaFunction, "api-function", { name: UNKNOWN });
    await assertNoStackViolations(
      policy,
      createStackValidationArgs([unknownFn, errorRateAlarm("err", unknownFn)]),
    );
  });

  it("passes a function with a plain Errors alarm whose dimension is the literal function name", async () => {
    const alarm = plainAlarm("err", "AWS/Lambda", "Errors", {
      FunctionName: "huntaze-api-prod-api",
    });
    await assertNoStackViolations(policy, createStackValidationArgs([fn, alarm]));
  });

  it("matches each of many functions to its own alarm, by dependency or literal name", async () => {
    const fns = [0, 1, 2, 3].map((i) =>
      res(LambdaFunction, `fn-${i}`, { name: i % 2 === 0 ? UNKNOWN : `huntaze-api-prod-fn-${i}` }),
    );
    const outcome = await runStackPolicy(
      policy,
      createStackValidationArgs([
        ...fns,
        // Alarms built from the (unknown) names come first: see the next test.
        errorRateAlarm("err-0", fns[0]!),
        errorRateAlarm("err-2", fns[2]!),
        errorRateAlarm("err-1", "huntaze-api-prod-fn-1"),
        errorRateAlarm("err-3", "huntaze-api-prod-fn-9"),
      ]),
    );
    assert.equal(outcome.unknownValue, undefined);
    assert.deepEqual(
      outcome.violations.map((v) => v.message),
      [
        'Lambda function "fn-3" must have an error alarm (AWS/Lambda Errors with its FunctionName dimension, e.g. a metric-math error rate).',
      ],
    );
  });

  it("decides at a first preview from the alarms in stack order: one built from the function before a literal one", async () => {
    const unknownFn = res(LambdaFunction, "api-function", { name: UNKNOWN });
    const other = errorRateAlarm("other", "huntaze-api-prod-worker");
    await assertNoStackViolations(
      policy,
      createStackValidationArgs([unknownFn, errorRateAlarm("err", unknownFn), other]),
    );
    // A literal alarm reached first is compared with the function's name, unknown until the update.
    await assertNeedsUnknownValue(
      policy,
      createStackValidationArgs([unknownFn, other, errorRateAlarm("err", unknownFn)]),
    );
  });

  it("passes literal metric-math dimensions that name the function", async () => {
    await assertNoStackViolations(
      policy,
      createStackValidationArgs([fn, errorRateAlarm("err", "huntaze-api-prod-api")]),
    );
  });

  it("fails a function without an error alarm", async () => {
    await assertHasStackViolation(policy, createStackValidationArgs([fn]), {
      message:
        'Lambda function "api-function" must have an error alarm (AWS/Lambda Errors with its FunctionName dimension',
      resource: "api-function",
    });
  });

  it("fails when the Errors alarm watches another function", async () => {
    const other = res(LambdaFunction, "worker-function", { name: "huntaze-api-prod-worker" });
    await assertHasStackViolation(
      policy,
      createStackValidationArgs([fn, other, errorRateAlarm("err", other)]),
      {
        message: "must have an error alarm",
        resource: "api-function",
      },
    );
  });

  it("does not count an alarm on another metric of the function", async () => {
    const alarm = plainAlarm("thr", "AWS/Lambda", "Throttles", {
      FunctionName: "huntaze-api-prod-api",
    });
    await assertHasStackViolation(policy, createStackValidationArgs([fn, alarm]), {
      message: "must have an error alarm",
    });
  });

  it("skips functions exempted in the config", async () => {
    const args = createStackValidationArgs([fn, res(LambdaFunction, "other", { name: "x" })], {
      config: {
        exemptions: [
          {
            resource: "api-function",
            reason: "retired, deleted next release",
            expires: "2027-06-30",
          },
        ],
      },
    });
    const outcome = await runStackPolicy(policy, args);
    assert.deepEqual(
      outcome.violations.map((v) => v.urn?.split("::").pop()),
      ["other"],
    );
  });
});

describe("#lambda-latency-alarm", () => {
  const policy = lambdaLatencyAlarm;
  const fn = res(LambdaFunction, "api-function", { name: UNKNOWN });

  it("passes a function with a Duration p95 alarm built from its name", async () => {
    const alarm = plainAlarm(
      "p95",
      "AWS/Lambda",
      "Duration",
      { FunctionName: UNKNOWN },
      { dimensions: [fn] },
    );
    await assertNoStackViolations(policy, createStackValidationArgs([fn, alarm]));
  });

  it("passes a function behind a REST API whose Latency is alarmed", async () => {
    const api = res(RestApi, "http-api", { name: "huntaze-api-prod" });
    const integration = res(
      RestApiIntegration,
      "http-integration",
      { restApi: UNKNOWN, uri: UNKNOWN },
      { restApi: [api], uri: [fn] },
    );
    const stage = res(
      RestApiStage,
      "http-stage",
      { restApi: UNKNOWN, stageName: "v1" },
      { restApi: [api] },
    );
    const alarm = plainAlarm(
      "api-p95",
      "AWS/ApiGateway",
      "Latency",
      { ApiName: UNKNOWN, Stage: "v1" },
      { dimensions: [api, stage] },
    );
    await assertNoStackViolations(
      policy,
      createStackValidationArgs([fn, api, integration, stage, alarm]),
    );
  });

  it("passes a literal ApiName that names the API fronting the function", async () => {
    const api = res(RestApi, "http-api", { name: "huntaze-api-prod" });
    const integration = res(
      RestApiIntegration,
      "http-integration",
      { restApi: UNKNOWN, uri: UNKNOWN },
      { restApi: [api], uri: [fn] },
    );
    const alarm = plainAlarm("api-p95", "AWS/ApiGateway", "Latency", {
      ApiName: "huntaze-api-prod",
      Stage: "v1",
    });
    await assertNoStackViolations(policy, createStackValidationArgs([fn, api, integration, alarm]));
  });

  it("finds, for each of many functions, the integrations that invoke it: built from it or naming it", async () => {
    const api = res(RestApi, "http-api", { name: "huntaze-api-prod" });
    const other = res(RestApi, "other-api", { name: "huntaze-api-other" });
    const fns = [0, 1, 2, 3].map((i) =>
      res(LambdaFunction, `fn-${i}`, { name: `huntaze-api-prod-fn-${i}` }),
    );
    const integration = (i: number, target: StackResourceSpec, uri: Record<string, unknown>) =>
      res(
        RestApiIntegration,
        `integration-${i}`,
        { restApi: UNKNOWN, ...uri },
        { restApi: [target], ...("uri" in uri ? {} : { uri: [fns[i]!] }) },
      );
    const arn = (i: number) =>
      `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:huntaze-api-prod-fn-${i}/invocations`;
    const alarm = plainAlarm(
      "api-p95",
      "AWS/ApiGateway",
      "Latency",
      { ApiName: UNKNOWN },
      { dimensions: [api] },
    );
    const outcome = await runStackPolicy(
      policy,
      createStackValidationArgs([
        ...fns,
        api,
        other,
        integration(0, api, {}),
        integration(1, api, { uri: arn(1) }),
        integration(2, other, {}),
        integration(3, other, { uri: arn(3) }),
        alarm,
      ]),
    );
    assert.equal(outcome.unknownValue, undefined);
    assert.deepEqual(
      outcome.violations.map((v) => v.urn?.split("::").pop()),
      ["fn-2", "fn-3"],
    );
  });

  it("fails a function whose only latency alarm is on an API that does not invoke it", async () => {
    const api = res(RestApi, "http-api", { name: "huntaze-api-prod" });
    const alarm = plainAlarm(
      "api-p95",
      "AWS/ApiGateway",
      "Latency",
      { ApiName: UNKNOWN },
      { dimensions: [api] },
    );
    await assertHasStackViolation(policy, createStackValidationArgs([fn, api, alarm]), {
      message:
        'Lambda function "api-function" must have a latency alarm (AWS/Lambda Duration on the function, or AWS/ApiGateway Latency on an API that invokes it).',
    });
  });

  it("does not accept the API's Latency alarm when the config requires Duration", async () => {
    const api = res(RestApi, "http-api", { name: "huntaze-api-prod" });
    const integration = res(
      RestApiIntegration,
      "i",
      { restApi: UNKNOWN, uri: UNKNOWN },
      { restApi: [api], uri: [fn] },
    );
    const alarm = plainAlarm(
      "api-p95",
      "AWS/ApiGateway",
      "Latency",
      { ApiName: UNKNOWN },
      { dimensions: [api] },
    );
    const args = createStackValidationArgs([fn, api, integration, alarm], {
      config: { acceptApiGatewayLatency: false },
    });
    await assertHasStackViolation(policy, args, {
      message: "must have a latency alarm (AWS/Lambda Duration on the function).",
    });
  });
});

describe("#dlq-depth-alarm", () => {
  const policy = dlqDepthAlarm;
  const dlq = res(Queue, "worker-dlq", { name: "huntaze-api-prod-worker-dlq" });
  const worker = res(
    LambdaFunction,
    "worker",
    { name: "w", deadLetterConfig: { targetArn: UNKNOWN } },
    { deadLetterConfig: [dlq] },
  );
  const depth = (deps = { dimensions: [dlq] }) =>
    plainAlarm(
      "dlq-depth",
      "AWS/SQS",
      "ApproximateNumberOfMessagesVisible",
      { QueueName: UNKNOWN },
      deps,
    );

  it("passes a function's dead-letter queue with a depth alarm", async () => {
    await assertNoStackViolations(policy, createStackValidationArgs([dlq, worker, depth()]));
  });

  it("fails a function's dead-letter queue without a depth alarm", async () => {
    await assertHasStackViolation(policy, createStackValidationArgs([dlq, worker]), {
      message:
        'Dead-letter queue "worker-dlq" must have a depth alarm (AWS/SQS ApproximateNumberOfMessagesVisible with its QueueName dimension).',
      resource: "worker-dlq",
    });
  });

  it("finds dead-letter queues of EventBridge targets and of redrive policies with literal ARNs", async () => {
    const target = res(
      EventTarget,
      "schedule-target",
      { deadLetterConfig: { arn: UNKNOWN } },
      { deadLetterConfig: [dlq] },
    );
    await assertHasStackViolation(policy, createStackValidationArgs([dlq, target]), {
      message: 'Dead-letter queue "worker-dlq"',
    });
    const source = res(Queue, "jobs", {
      name: "jobs",
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: "arn:aws:sqs:us-east-1:123456789012:huntaze-api-prod-worker-dlq",
        maxReceiveCount: 5,
      }),
    });
    await assertHasStackViolation(policy, createStackValidationArgs([dlq, source]), {
      message: 'Dead-letter queue "worker-dlq"',
    });
  });

  it("finds each of many functions' dead-letter queues, by dependency or literal ARN", async () => {
    const queues = [0, 1, 2, 3].map((i) =>
      res(Queue, `dlq-${i}`, { name: `huntaze-api-dlq-${i}` }),
    );
    const fns = [0, 1, 2, 3].map((i) =>
      i % 2 === 0
        ? res(
            LambdaFunction,
            `fn-${i}`,
            { name: `fn-${i}`, deadLetterConfig: { targetArn: UNKNOWN } },
            { deadLetterConfig: [queues[i]!] },
          )
        : res(LambdaFunction, `fn-${i}`, {
            name: `fn-${i}`,
            deadLetterConfig: {
              targetArn: `arn:aws:sqs:us-east-1:123456789012:huntaze-api-dlq-${i}`,
            },
          }),
    );
    const alarmed = plainAlarm("dlq-1-depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible", {
      QueueName: "huntaze-api-dlq-1",
    });
    const outcome = await runStackPolicy(
      policy,
      createStackValidationArgs([
        ...queues,
        res(Queue, "unused", { name: "huntaze-api-unused" }),
        ...fns,
        alarmed,
      ]),
    );
    assert.equal(outcome.unknownValue, undefined);
    assert.deepEqual(
      outcome.violations.map((v) => v.urn?.split("::").pop()),
      ["dlq-0", "dlq-2", "dlq-3"],
    );
    // A literal ARN cannot be compared with an auto-named queue's name, unknown until the update.
    const autoNamed = res(Queue, "auto-named", { name: UNKNOWN });
    await assertNeedsUnknownValue(
      policy,
      createStackValidationArgs([...queues, autoNamed, ...fns, alarmed]),
    );
  });

  it("decides at preview when every queue's redrivePolicy is unknown (first deploy)", async () => {
    // The DLQ's own redrivePolicy: unset, so the provider computes it (unknown, from no resource).
    const dlqFirstDeploy = res(Queue, "worker-dlq", {
      name: "huntaze-api-prod-worker-dlq",
      redrivePolicy: UNKNOWN,
    });
    // The source queue's redrivePolicy is built from the DLQ's ARN: unknown, depends on it.
    const jobs = res(
      Queue,
      "jobs",
      { name: "jobs", redrivePolicy: UNKNOWN },
      { redrivePolicy: [dlqFirstDeploy] },
    );
    const alarm = depth({ dimensions: [dlqFirstDeploy] });
    await assertNoStackViolations(policy, createStackValidationArgs([dlqFirstDeploy, jobs, alarm]));
    await assertHasStackViolation(policy, createStackValidationArgs([dlqFirstDeploy, jobs]), {
      message: 'Dead-letter queue "worker-dlq" must have a depth alarm',
      resource: "worker-dlq",
    });
  });

  it("does not count an alarm on another queue metric", async () => {
    const age = plainAlarm(
      "dlq-age",
      "AWS/SQS",
      "ApproximateAgeOfOldestMessage",
      { QueueName: UNKNOWN },
      { dimensions: [dlq] },
    );
    await assertHasStackViolation(policy, createStackValidationArgs([dlq, worker, age]), {
      message: "must have a depth alarm",
    });
  });

  it("accepts the metrics the config lists", async () => {
    const age = plainAlarm(
      "dlq-age",
      "AWS/SQS",
      "ApproximateAgeOfOldestMessage",
      { QueueName: UNKNOWN },
      { dimensions: [dlq] },
    );
    const args = createStackValidationArgs([dlq, worker, age], {
      config: { metricNames: ["ApproximateAgeOfOldestMessage"] },
    });
    await assertNoStackViolations(policy, args);
  });

  it("is not applicable when no queue is a dead-letter queue", async () => {
    await assertStackNotApplicable(
      policy,
      createStackValidationArgs([dlq]),
      /no dead-letter queues/,
    );
  });
});

describe("#rds-instance-alarms", () => {
  const policy = rdsInstanceAlarms;
  const db = res(RdsInstance, "db", { identifier: "huntaze-api-prod-db" });
  const cpu = plainAlarm(
    "cpu",
    "AWS/RDS",
    "CPUUtilization",
    { DBInstanceIdentifier: UNKNOWN },
    { dimensions: [db] },
  );
  const storage = plainAlarm("storage", "AWS/RDS", "FreeStorageSpace", {
    DBInstanceIdentifier: "huntaze-api-prod-db",
  });

  it("passes an instance with CPU and free-storage alarms", async () => {
    await assertNoStackViolations(policy, createStackValidationArgs([db, cpu, storage]));
  });

  it("fails an instance without a free-storage alarm", async () => {
    await assertHasStackViolation(policy, createStackValidationArgs([db, cpu]), {
      message:
        'RDS instance "db" must have alarms on FreeStorageSpace (AWS/RDS with its DBInstanceIdentifier dimension).',
    });
  });

  it("fails an instance without any alarm, naming both metrics", async () => {
    await assertHasStackViolation(policy, createStackValidationArgs([db]), {
      message: "must have alarms on CPUUtilization and FreeStorageSpace",
    });
  });

  it("requires the metrics the config lists", async () => {
    const args = createStackValidationArgs([db, cpu, storage], {
      config: { requiredMetrics: ["CPUUtilization", "FreeStorageSpace", "DatabaseConnections"] },
    });
    await assertHasStackViolation(policy, args, {
      message: "must have alarms on DatabaseConnections",
    });
  });

  it("cannot decide during preview when a literal alarm must be compared with an unknown identifier", async () => {
    const unknownDb = res(RdsInstance, "db", { identifier: UNKNOWN });
    await assertNeedsUnknownValue(policy, createStackValidationArgs([unknownDb, storage]));
  });
});
