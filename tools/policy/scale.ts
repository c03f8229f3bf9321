/**
 * Program-like registrations at any size, for timing the policy stage as a stack grows: N
 * functions, each with its execution role, its `/aws/lambda/<name>` log group, its error,
 * throttle and duration alarms, and the API Gateway integration and Lambda permission that let
 * one REST API invoke it, and its dead-letter queue with a depth alarm: 10 resources per
 * function. Every other function's log group name, alarm dimensions and dead-letter target are
 * built from the resource (as infra/ does), the others' are literals: both ways of linking are
 * exercised.
 */
import * as path from "node:path";
import type { CapturedResource, ProgramRun } from "../preview/run-program";
import { capturedResource, withPropertyDependencies } from "./captured";

const PROJECT = "huntaze-api";
const STACK = "scale";

export const scaleStackConfig = {
  project: PROJECT,
  stack: STACK,
  config: { "aws:region": "eu-west-1", [`${PROJECT}:stage`]: "prod" },
  secretKeys: [],
};

const AT = { project: PROJECT, stack: STACK };

function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  propertyDependencies: Record<string, string[]> = {},
): CapturedResource {
  return capturedResource(AT, type, name, inputs, withPropertyDependencies(propertyDependencies));
}

/** Resources per function in `scaledRun`. */
export const RESOURCES_PER_FUNCTION = 10;

/** About `resources` registrations (rounded to whole functions). */
export function scaledRun(resources: number): ProgramRun {
  const functions = Math.max(1, Math.round(resources / RESOURCES_PER_FUNCTION));
  const out: CapturedResource[] = [resource("pulumi:pulumi:Stack", `${PROJECT}-${STACK}`, {})];
  /** A dead-letter queue and its depth alarm, the alarm's dimension built from it or literal. */
  const deadLetterQueue = (id: string, linked: boolean): CapturedResource => {
    const name = `scale-${id}`;
    const queue = resource("aws:sqs/queue:Queue", id, { name, messageRetentionSeconds: 1209600 });
    out.push(
      queue,
      resource(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        `${id}-depth`,
        {
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: name },
          comparisonOperator: "GreaterThanThreshold",
          evaluationPeriods: 1,
          period: 60,
          statistic: "Maximum",
          threshold: 0,
          alarmActions: ["arn:aws:sns:eu-west-1:123456789012:alerts"],
          okActions: ["arn:aws:sns:eu-west-1:123456789012:alerts"],
        },
        linked ? { dimensions: [queue.urn] } : {},
      ),
    );
    return queue;
  };
  const api = resource("aws:apigateway/restApi:RestApi", "api", { name: "scale-api" });
  out.push(api);
  for (let i = 0; i < functions; i++) {
    const fnName = `scale-fn-${i}`;
    const role = resource("aws:iam/role:Role", `fn-${i}-role`, {
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
    const dlq = deadLetterQueue(`fn-${i}-dlq`, i % 2 === 0);
    const fn = resource(
      "aws:lambda/function:Function",
      `fn-${i}`,
      {
        name: fnName,
        role: `arn:aws:iam::123456789012:role/fn-${i}-role`,
        runtime: "nodejs22.x",
        handler: "index.handler",
        memorySize: 512,
        timeout: 10,
        reservedConcurrentExecutions: 5,
        tracingConfig: { mode: "Active" },
        deadLetterConfig: { targetArn: `arn:aws:sqs:eu-west-1:123456789012:scale-fn-${i}-dlq` },
      },
      { role: [role.urn], ...(i % 2 === 0 ? { deadLetterConfig: [dlq.urn] } : {}) },
    );
    out.push(role, fn);
    out.push(
      resource(
        "aws:apigateway/integration:Integration",
        `fn-${i}-integration`,
        {
          restApi: "scale-api-id",
          resourceId: "root-id",
          httpMethod: "ANY",
          type: "AWS_PROXY",
          integrationHttpMethod: "POST",
          uri: `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:${fnName}/invocations`,
        },
        { restApi: [api.urn], uri: [fn.urn] },
      ),
      resource(
        "aws:lambda/permission:Permission",
        `fn-${i}-invoke`,
        {
          action: "lambda:InvokeFunction",
          function: fnName,
          principal: "apigateway.amazonaws.com",
          sourceArn: "arn:aws:execute-api:eu-west-1:123456789012:scale-api-id/*/*",
        },
        { function: [fn.urn], sourceArn: [api.urn] },
      ),
    );
    out.push(
      resource(
        "aws:cloudwatch/logGroup:LogGroup",
        `fn-${i}-logs`,
        { name: `/aws/lambda/${fnName}`, retentionInDays: 30 },
        i % 2 === 0 ? { name: [fn.urn] } : {},
      ),
    );
    for (const [metric, statistic] of [
      ["Errors", "Sum"],
      ["Throttles", "Sum"],
      ["Duration", "p99"],
    ] as const) {
      out.push(
        resource(
          "aws:cloudwatch/metricAlarm:MetricAlarm",
          `fn-${i}-${metric.toLowerCase()}`,
          {
            namespace: "AWS/Lambda",
            metricName: metric,
            dimensions: { FunctionName: fnName },
            comparisonOperator: "GreaterThanThreshold",
            evaluationPeriods: 1,
            period: 60,
            ...(statistic === "p99" ? { extendedStatistic: "p99" } : { statistic }),
            threshold: 1,
            alarmActions: ["arn:aws:sns:eu-west-1:123456789012:alerts"],
            okActions: ["arn:aws:sns:eu-west-1:123456789012:alerts"],
          },
          i % 2 === 0 ? { dimensions: [fn.urn] } : {},
        ),
      );
    }
  }
  return {
    project: PROJECT,
    stack: STACK,
    mode: "first-deploy",
    workDir: path.resolve(__dirname, "..", "..", "infra"),
    resources: out,
    outputs: {},
    secretOutputs: [],
  };
}
