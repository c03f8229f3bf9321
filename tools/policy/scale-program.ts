/**
 * A Pulumi program of any size, for timing the offline preview as a stack grows: run by the
 * preview like any `--program`, under the mock runtime (first deploy: computed outputs unknown).
 *
 * `SCALE_FUNCTIONS` functions (default 100), each with its execution role, its dead-letter queue
 * and the queue's depth alarm, its `/aws/lambda/<name>` log group, its error, throttle and
 * duration alarms, and the API Gateway integration and Lambda permission that let one REST API
 * invoke it: `RESOURCES_PER_FUNCTION` resources per function, plus the stack, the API and the
 * key the queues and log groups are encrypted with. Every other function's log group name,
 * alarm dimensions and dead-letter target are built from its resources' outputs (as infra/
 * does: the engine sees property dependencies), the others' are literals: both ways a policy
 * must link resources are exercised.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Resources per function. */
export const RESOURCES_PER_FUNCTION = 10;
/** Resources of the program that do not repeat per function: the stack, the API and the key. */
export const FIXED_RESOURCES = 3;

/** The environment variable that sets the number of functions. */
export const SCALE_FUNCTIONS_ENV = "SCALE_FUNCTIONS";

const ALERTS = "arn:aws:sns:eu-west-1:123456789012:alerts";

/** Functions for about `resources` registrations (rounded to whole functions, at least one). */
export function functionsFor(resources: number): number {
  return Math.max(1, Math.round((resources - FIXED_RESOURCES) / RESOURCES_PER_FUNCTION));
}

function functionCount(): number {
  const raw = process.env[SCALE_FUNCTIONS_ENV] ?? "100";
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`${SCALE_FUNCTIONS_ENV}=${raw}: expected a whole number of functions ≥ 1`);
  }
  return count;
}

function alarmArgs(
  namespace: string,
  metricName: string,
  dimensions: Record<string, pulumi.Input<string>>,
  statistic: "Sum" | "Maximum" | "p99",
): aws.cloudwatch.MetricAlarmArgs {
  return {
    namespace,
    metricName,
    dimensions,
    comparisonOperator: "GreaterThanThreshold",
    evaluationPeriods: 1,
    period: 60,
    ...(statistic === "p99" ? { extendedStatistic: "p99" } : { statistic }),
    threshold: statistic === "Maximum" ? 0 : 1,
    alarmActions: [ALERTS],
    okActions: [ALERTS],
  };
}

/** Registers the stack's resources (called by the preview for every run). */
export default function program(): void {
  const functions = functionCount();
  const key = new aws.kms.Key("scale-key", {
    description: "Encrypts the scale stack's queues and log groups",
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "Account",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123456789012:root" },
          Action: "kms:*",
          Resource: "*",
        },
        {
          Sid: "CloudWatchLogs",
          Effect: "Allow",
          Principal: { Service: "logs.eu-west-1.amazonaws.com" },
          Action: [
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
          ],
          Resource: "*",
          Condition: {
            ArnLike: {
              "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:*",
            },
          },
        },
      ],
    }),
  });
  const api = new aws.apigateway.RestApi("api", { name: "scale-api" });
  for (let i = 0; i < functions; i++) {
    const linked = i % 2 === 0;
    const fnName = `scale-fn-${i}`;
    const dlqName = `scale-fn-${i}-dlq`;
    const role = new aws.iam.Role(`fn-${i}-role`, {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "lambda.amazonaws.com" },
            Action: "sts:AssumeRole",
          },
        ],
      }),
    });
    const dlq = new aws.sqs.Queue(`fn-${i}-dlq`, {
      name: dlqName,
      messageRetentionSeconds: 1209600,
      kmsMasterKeyId: key.arn,
    });
    new aws.cloudwatch.MetricAlarm(
      `fn-${i}-dlq-depth`,
      alarmArgs(
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        { QueueName: linked ? dlq.name : dlqName },
        "Maximum",
      ),
    );
    const fn = new aws.lambda.Function(`fn-${i}`, {
      name: fnName,
      role: role.arn,
      runtime: "nodejs22.x",
      handler: "index.handler",
      code: new pulumi.asset.AssetArchive({
        "index.js": new pulumi.asset.StringAsset("exports.handler = async () => ({});"),
      }),
      memorySize: 512,
      timeout: 10,
      reservedConcurrentExecutions: 5,
      tracingConfig: { mode: "Active" },
      // Its /aws/lambda/<name> group, created below.
      loggingConfig: { logFormat: "JSON" },
      deadLetterConfig: {
        targetArn: linked ? dlq.arn : `arn:aws:sqs:eu-west-1:123456789012:${dlqName}`,
      },
      vpcConfig: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789"] },
    });
    new aws.apigateway.Integration(`fn-${i}-integration`, {
      restApi: api.id,
      resourceId: api.rootResourceId,
      httpMethod: "ANY",
      type: "AWS_PROXY",
      integrationHttpMethod: "POST",
      uri: fn.invokeArn,
    });
    new aws.lambda.Permission(`fn-${i}-invoke`, {
      action: "lambda:InvokeFunction",
      function: fn.name,
      principal: "apigateway.amazonaws.com",
      sourceArn: pulumi.interpolate`${api.executionArn}/*/*`,
    });
    new aws.cloudwatch.LogGroup(`fn-${i}-logs`, {
      name: linked ? pulumi.interpolate`/aws/lambda/${fn.name}` : `/aws/lambda/${fnName}`,
      retentionInDays: 30,
      kmsKeyId: key.arn,
    });
    const dimensions = { FunctionName: linked ? fn.name : fnName };
    new aws.cloudwatch.MetricAlarm(
      `fn-${i}-errors`,
      alarmArgs("AWS/Lambda", "Errors", dimensions, "Sum"),
    );
    new aws.cloudwatch.MetricAlarm(
      `fn-${i}-throttles`,
      alarmArgs("AWS/Lambda", "Throttles", dimensions, "Sum"),
    );
    new aws.cloudwatch.MetricAlarm(
      `fn-${i}-duration`,
      alarmArgs("AWS/Lambda", "Duration", dimensions, "p99"),
    );
  }
}
