import * as assert from "node:assert/strict";
import { EventRule } from "@pulumi/aws/cloudwatch/eventRule";
import { EventTarget } from "@pulumi/aws/cloudwatch/eventTarget";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { FunctionEventInvokeConfig } from "@pulumi/aws/lambda/functionEventInvokeConfig";
import { FunctionUrl } from "@pulumi/aws/lambda/functionUrl";
import { Permission } from "@pulumi/aws/lambda/permission";
import { Queue } from "@pulumi/aws/sqs/queue";
import type { Policy } from "@pulumi/policy";
import {
  lambdaAsyncFailureDestination,
  lambdaCodeSigning,
  lambdaConcurrencyLimit,
  lambdaDeadLetterQueue,
  lambdaExplicitLimits,
  lambdaInVpc,
  lambdaNotPublic,
  lambdaRuntimeCurrent,
} from "../../policies/src/lambda";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNoResourceViolations,
  assertNoStackViolations,
  assertResourceNotApplicable,
  assertStackNotApplicable,
  createResourceValidationArgs,
  createStackValidationArgs,
  res,
  UNKNOWN,
} from "./helpers";

/** A function as this project declares it: every property the Lambda policies read. */
const FUNCTION = {
  name: "huntaze-api-prod-worker",
  runtime: "nodejs22.x",
  memorySize: 1024,
  timeout: 60,
  reservedConcurrentExecutions: 1,
  vpcConfig: { subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-app"] },
  codeSigningConfigArn: "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-1",
  deadLetterConfig: { targetArn: "arn:aws:sqs:us-east-1:123456789012:huntaze-api-prod-dlq" },
};

const fnArgs =
  (policy: Policy) =>
  (props: Record<string, unknown> = {}, config?: Record<string, unknown>) =>
    createResourceValidationArgs(LambdaFunction, { ...FUNCTION, ...props }, { policy, config });

/** A worker invoked by an EventBridge rule, with its queue and invoke config. */
function asyncStack(
  fnProps: Record<string, unknown> = {},
  invokeProps: Record<string, unknown> = {
    destinationConfig: { onFailure: { destination: UNKNOWN } },
  },
) {
  const dlq = res(Queue, "dlq", { name: "huntaze-api-prod-dlq" });
  const fn = res(
    LambdaFunction,
    "worker",
    { ...FUNCTION, ...fnProps },
    { deadLetterConfig: [dlq] },
  );
  const rule = res(EventRule, "nightly", { scheduleExpression: "cron(0 3 * * ? *)" });
  const target = res(
    EventTarget,
    "nightly-target",
    { rule: UNKNOWN, arn: UNKNOWN },
    { arn: [fn], rule: [rule] },
  );
  const config = res(
    FunctionEventInvokeConfig,
    "worker-async",
    { functionName: UNKNOWN, maximumRetryAttempts: 2, ...invokeProps },
    { functionName: [fn], destinationConfig: [dlq] },
  );
  return { dlq, fn, rule, target, config };
}

describe("#lambda-dead-letter-queue", () => {
  const policy = lambdaDeadLetterQueue;

  it("passes an asynchronously invoked function with a DLQ whose ARN is unknown at preview", async () => {
    const s = asyncStack({ deadLetterConfig: { targetArn: UNKNOWN } });
    await assertNoStackViolations(policy, createStackValidationArgs(Object.values(s), { policy }));
  });

  it("passes one whose whole deadLetterConfig is unknown at preview", async () => {
    const s = asyncStack({ deadLetterConfig: UNKNOWN });
    await assertNoStackViolations(policy, createStackValidationArgs(Object.values(s), { policy }));
  });

  it("fails an EventBridge-invoked function without deadLetterConfig", async () => {
    const s = asyncStack({ deadLetterConfig: undefined });
    await assertHasStackViolation(policy, createStackValidationArgs(Object.values(s), { policy }), {
      message:
        'Lambda function "worker" must have a dead-letter queue for its failed asynchronous invocations (deadLetterConfig.targetArn).',
      resource: "worker",
    });
  });

  it("finds the asynchronous caller from a literal ARN in an event-service permission", async () => {
    const fn = res(LambdaFunction, "worker", { ...FUNCTION, deadLetterConfig: undefined });
    const permission = res(Permission, "sns-invoke", {
      principal: "sns.amazonaws.com",
      function: "arn:aws:lambda:us-east-1:123456789012:function:huntaze-api-prod-worker",
      sourceArn: "arn:aws:sns:us-east-1:123456789012:topic",
    });
    await assertHasStackViolation(policy, createStackValidationArgs([fn, permission], { policy }), {
      message: "must have a dead-letter queue",
      resource: "worker",
    });
  });

  it("does not judge a function only API Gateway invokes, unless asyncOnly is false", async () => {
    const fn = res(LambdaFunction, "api", { ...FUNCTION, deadLetterConfig: undefined });
    const permission = res(
      Permission,
      "api-invoke",
      { principal: "apigateway.amazonaws.com", function: UNKNOWN, sourceArn: UNKNOWN },
      { function: [fn] },
    );
    await assertStackNotApplicable(
      policy,
      createStackValidationArgs([fn, permission], { policy }),
      /no Lambda function is invoked asynchronously/,
    );
    await assertHasStackViolation(
      policy,
      createStackValidationArgs([fn, permission], { policy, config: { asyncOnly: false } }),
      { message: "must have a dead-letter queue", resource: "api" },
    );
  });
});

describe("#lambda-async-failure-destination", () => {
  const policy = lambdaAsyncFailureDestination;

  it("passes an asynchronously invoked function with an on-failure destination", async () => {
    await assertNoStackViolations(
      policy,
      createStackValidationArgs(Object.values(asyncStack()), { policy }),
    );
  });

  it("fails one whose invoke config has no on-failure destination", async () => {
    const s = asyncStack({}, { destinationConfig: undefined });
    await assertHasStackViolation(policy, createStackValidationArgs(Object.values(s), { policy }), {
      message:
        'Lambda function "worker" must send failed asynchronous invocations to an on-failure destination (a FunctionEventInvokeConfig with destinationConfig.onFailure).',
    });
  });

  it("accepts the dead-letter queue instead only when the config says so", async () => {
    const s = asyncStack({}, { destinationConfig: undefined });
    await assertNoStackViolations(
      policy,
      createStackValidationArgs(Object.values(s), {
        policy,
        config: { acceptDeadLetterQueue: true },
      }),
    );
  });
});

describe("#lambda-concurrency-limit", () => {
  const policy = lambdaConcurrencyLimit;
  const args = fnArgs(policy);

  it("passes a function with reserved concurrency", async () => {
    await assertNoResourceViolations(policy, args());
  });

  it("fails a function without reservedConcurrentExecutions (unreserved)", async () => {
    await assertHasResourceViolation(policy, args({ reservedConcurrentExecutions: undefined }), {
      message:
        "Lambda function must set a concurrency limit (reservedConcurrentExecutions ≥ 1; unset means unreserved).",
    });
  });

  it("fails 0, which throttles every invocation", async () => {
    await assertHasResourceViolation(policy, args({ reservedConcurrentExecutions: 0 }), {
      message: "(reservedConcurrentExecutions is 0: every invocation is throttled).",
    });
  });
});

describe("#lambda-in-vpc", () => {
  const policy = lambdaInVpc;
  const args = fnArgs(policy);

  it("passes a function whose subnets and security groups are unknown at preview", async () => {
    await assertNoResourceViolations(
      policy,
      args({ vpcConfig: { subnetIds: [UNKNOWN, UNKNOWN], securityGroupIds: UNKNOWN } }),
    );
  });

  it("passes a function whose whole vpcConfig is unknown at preview", async () => {
    await assertNoResourceViolations(policy, args({ vpcConfig: UNKNOWN }));
  });

  it("fails a function outside a VPC", async () => {
    await assertHasResourceViolation(policy, args({ vpcConfig: undefined }), {
      message: "Lambda function must run in a VPC (vpcConfig.subnetIds).",
    });
  });
});

describe("#lambda-code-signing", () => {
  const policy = lambdaCodeSigning;
  const args = fnArgs(policy);

  it("is advisory by default", () => {
    assert.equal(policy.enforcementLevel, "advisory");
  });

  it("passes a function with a code signing config", async () => {
    await assertNoResourceViolations(policy, args());
  });

  it("reports a function without one", async () => {
    await assertHasResourceViolation(policy, args({ codeSigningConfigArn: undefined }), {
      message: "Lambda function must verify code signatures (codeSigningConfigArn).",
    });
  });
});

describe("#lambda-runtime-current", () => {
  const policy = lambdaRuntimeCurrent;
  const args = fnArgs(policy);

  it("passes nodejs22.x", async () => {
    await assertNoResourceViolations(policy, args());
  });

  it("fails nodejs20.x, deprecated in April 2026", async () => {
    await assertHasResourceViolation(policy, args({ runtime: "nodejs20.x" }), {
      message:
        "Lambda function must use a runtime Lambda still supports (runtime nodejs20.x is deprecated).",
    });
  });

  it("takes the deprecated list from the config", async () => {
    await assertHasResourceViolation(policy, args({}, { deprecatedRuntimes: ["nodejs22.x"] }), {
      message: "(runtime nodejs22.x is deprecated)",
    });
  });

  it("does not judge container image functions", async () => {
    await assertResourceNotApplicable(
      policy,
      args({ runtime: undefined, packageType: "Image" }),
      /container image/,
    );
  });
});

describe("#lambda-explicit-limits", () => {
  const policy = lambdaExplicitLimits;
  const args = fnArgs(policy);

  it("passes a function with timeout and memory", async () => {
    await assertNoResourceViolations(policy, args());
  });

  it("fails a function on the 3-second default timeout", async () => {
    await assertHasResourceViolation(policy, args({ timeout: undefined }), {
      message: "Lambda function must set its timeout explicitly (timeout; unset means 3 seconds).",
    });
  });

  it("fails a function on the 128 MB default memory", async () => {
    await assertHasResourceViolation(policy, args({ memorySize: undefined }), {
      message: "Lambda function must set its memory explicitly (memorySize; unset means 128 MB).",
    });
  });
});

describe("#lambda-not-public", () => {
  const policy = lambdaNotPublic;
  const permission = (props: Record<string, unknown> = {}) =>
    createResourceValidationArgs(
      Permission,
      {
        action: "lambda:InvokeFunction",
        function: "huntaze-api-prod-api",
        principal: "apigateway.amazonaws.com",
        sourceArn: UNKNOWN,
        ...props,
      },
      { policy },
    );

  it("passes a service permission scoped by a source ARN unknown at preview", async () => {
    await assertNoResourceViolations(policy, permission());
  });

  it('fails principal "*"', async () => {
    await assertHasResourceViolation(policy, permission({ principal: "*" }), {
      message: 'Lambda permission must not let everyone invoke the function (principal is "*").',
    });
  });

  it("fails a service permission without sourceArn or sourceAccount", async () => {
    await assertHasResourceViolation(policy, permission({ sourceArn: undefined }), {
      message:
        "Lambda permission must scope apigateway.amazonaws.com to a resource (sourceArn) or account (sourceAccount)",
    });
  });

  it("fails a function URL without authentication, and passes one with IAM", async () => {
    const url = (authorizationType: string) =>
      createResourceValidationArgs(
        FunctionUrl,
        { functionName: "huntaze-api-prod-api", authorizationType },
        { policy },
      );
    await assertNoResourceViolations(policy, url("AWS_IAM"));
    await assertHasResourceViolation(policy, url("NONE"), {
      message: "Lambda function URL must require IAM authentication (authorizationType is NONE).",
    });
  });
});
