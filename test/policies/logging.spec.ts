import { Stage as RestApiStage } from "@pulumi/aws/apigateway/stage";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { CloudFormationStack } from "@pulumi/aws/serverlessrepository/cloudFormationStack";
import {
  apiStageAccessLogging,
  cloudwatchLogGroupRetention,
  lambdaManagedLogGroup,
} from "../../policies/src/logging";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNeedsUnknownValue,
  assertNoResourceViolations,
  assertNoStackViolations,
  assertResourceNotApplicable,
  assertStackNotApplicable,
  createResourceValidationArgs,
  createStackValidationArgs,
  res,
  UNKNOWN,
} from "./helpers";

describe("#cloudwatch-log-group-retention", () => {
  const policy = cloudwatchLogGroupRetention;
  const happy = (props: Record<string, unknown> = {}, config?: Record<string, unknown>) =>
    createResourceValidationArgs(
      LogGroup,
      { name: "/aws/lambda/huntaze-api-prod-api", retentionInDays: 30, ...props },
      { config },
    );

  it("passes a log group that keeps logs for 30 days", async () => {
    await assertNoResourceViolations(policy, happy());
  });

  it("fails a log group without retentionInDays, which never expires", async () => {
    await assertHasResourceViolation(policy, happy({ retentionInDays: undefined }), {
      message:
        "CloudWatch log group must set retentionInDays (at least 30); unset or 0 keeps logs forever.",
    });
  });

  it("fails a log group with retentionInDays 0 (never expire)", async () => {
    await assertHasResourceViolation(policy, happy({ retentionInDays: 0 }), {
      message: "unset or 0 keeps logs forever",
    });
  });

  it("fails a log group that keeps logs for less than the minimum", async () => {
    await assertHasResourceViolation(policy, happy({ retentionInDays: 14 }), {
      message: "CloudWatch log group must keep logs for at least 30 days (retentionInDays is 14).",
    });
  });

  it("applies the configured minimum instead of the default", async () => {
    await assertHasResourceViolation(policy, happy({}, { minRetentionDays: 365 }), {
      message: "at least 365 days (retentionInDays is 30)",
    });
  });

  it("stands down for a resource exempted in the config, with its reason", async () => {
    const args = createResourceValidationArgs(
      LogGroup,
      { retentionInDays: 0 },
      {
        name: "audit",
        config: { exemptions: [{ resource: "audit", reason: "kept forever for audit" }] },
      },
    );
    await assertResourceNotApplicable(policy, args, /exempted by policy config: kept forever/);
  });

  it("does not guess when the retention is unknown during preview", async () => {
    await assertNeedsUnknownValue(policy, happy({ retentionInDays: UNKNOWN }));
  });
});

describe("#lambda-managed-log-group", () => {
  const policy = lambdaManagedLogGroup;
  const fnProps = { name: "huntaze-api-prod-api", loggingConfig: { logFormat: "JSON" } };

  it("passes a function whose /aws/lambda/<name> group is in the stack", async () => {
    const args = createStackValidationArgs([
      res(LambdaFunction, "api-function", fnProps),
      res(LogGroup, "api-log-group", {
        name: "/aws/lambda/huntaze-api-prod-api",
        retentionInDays: 30,
      }),
    ]);
    await assertNoStackViolations(policy, args);
  });

  it("passes a function whose loggingConfig.logGroup comes from an in-stack log group, names unknown", async () => {
    const logGroup = res(LogGroup, "api-log-group", { name: UNKNOWN, retentionInDays: 30 });
    const fn = res(
      LambdaFunction,
      "api-function",
      { name: UNKNOWN, loggingConfig: { logFormat: "JSON", logGroup: UNKNOWN } },
      { loggingConfig: [logGroup] },
    );
    await assertNoStackViolations(policy, createStackValidationArgs([logGroup, fn]));
  });

  it("passes a log group named after the function's (unknown) name", async () => {
    const fn = res(LambdaFunction, "api-function", { name: UNKNOWN });
    const logGroup = res(LogGroup, "api-log-group", { name: UNKNOWN }, { name: [fn] });
    await assertNoStackViolations(policy, createStackValidationArgs([fn, logGroup]));
  });

  it("fails a function without a log group in the stack", async () => {
    const args = createStackValidationArgs([res(LambdaFunction, "api-function", fnProps)]);
    await assertHasStackViolation(policy, args, {
      message:
        'Lambda function "api-function" must log to a log group in this stack with retention: create "/aws/lambda/huntaze-api-prod-api" here',
      resource: "api-function",
    });
  });

  it("fails a function whose loggingConfig.logGroup names a group outside the stack", async () => {
    const args = createStackValidationArgs([
      res(LambdaFunction, "api-function", {
        ...fnProps,
        loggingConfig: { logFormat: "JSON", logGroup: "/shared/forever" },
      }),
      res(LogGroup, "api-log-group", {
        name: "/aws/lambda/huntaze-api-prod-api",
        retentionInDays: 30,
      }),
    ]);
    await assertHasStackViolation(policy, args, { message: 'create "/shared/forever" here' });
  });

  describe("for a function a Serverless Application Repository app deploys", () => {
    const app = res(CloudFormationStack, "rotator", {
      name: "huntaze-api-prod-rotator",
      parameters: { functionName: "huntaze-api-prod-rotator", vpcSubnetIds: UNKNOWN },
    });

    it("passes when the stack creates its /aws/lambda/<functionName> group", async () => {
      const group = res(LogGroup, "rotator-logs", {
        name: "/aws/lambda/huntaze-api-prod-rotator",
        retentionInDays: 30,
      });
      await assertNoStackViolations(policy, createStackValidationArgs([group, app]));
    });

    it("fails when it does not, since Lambda would create a group that never expires", async () => {
      await assertHasStackViolation(policy, createStackValidationArgs([app]), {
        message:
          'Serverless application "rotator" must have the log group of its function created in this stack with retention: create "/aws/lambda/huntaze-api-prod-rotator" before the application.',
      });
    });
  });

  it("is not applicable to a stack without functions", async () => {
    await assertStackNotApplicable(policy, createStackValidationArgs([]), /no Lambda functions/);
  });
});

describe("#api-stage-access-logging", () => {
  const policy = apiStageAccessLogging;
  const logGroup = res(LogGroup, "access-logs", {
    name: "/aws/apigateway/huntaze-api-prod/v1/access",
    retentionInDays: 30,
  });
  const stage = (props: Record<string, unknown> = {}, deps = { accessLogSettings: [logGroup] }) =>
    res(
      RestApiStage,
      "http-stage",
      {
        stageName: "v1",
        accessLogSettings: {
          destinationArn: UNKNOWN,
          format: '{"requestId":"$context.requestId"}',
        },
        ...props,
      },
      deps,
    );

  it("passes a stage logging to an in-stack log group, ARN unknown", async () => {
    await assertNoStackViolations(policy, createStackValidationArgs([logGroup, stage()]));
  });

  it("passes a stage whose literal destination ARN names an in-stack log group", async () => {
    const s = stage(
      {
        accessLogSettings: {
          destinationArn:
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/huntaze-api-prod/v1/access",
          format: "$context.requestId",
        },
      },
      { accessLogSettings: [] },
    );
    await assertNoStackViolations(policy, createStackValidationArgs([logGroup, s]));
  });

  it("fails a stage without access logging", async () => {
    await assertHasStackViolation(
      policy,
      createStackValidationArgs([
        logGroup,
        stage({ accessLogSettings: undefined }, { accessLogSettings: [] }),
      ]),
      {
        message:
          'API Gateway stage "http-stage" must send access logs to a CloudWatch log group in this stack (accessLogSettings).',
      },
    );
  });

  it("fails a stage logging to a group that is not in the stack", async () => {
    const s = stage(
      {
        accessLogSettings: {
          destinationArn: "arn:aws:logs:us-east-1:123456789012:log-group:elsewhere",
          format: "x",
        },
      },
      { accessLogSettings: [] },
    );
    await assertHasStackViolation(policy, createStackValidationArgs([logGroup, s]), {
      message: "must send access logs to a log group created in this stack",
    });
  });

  it("fails a stage without a log format, unless the config relaxes it", async () => {
    const s = stage({ accessLogSettings: { destinationArn: UNKNOWN } });
    await assertHasStackViolation(policy, createStackValidationArgs([logGroup, s]), {
      message: "must set an access log format (accessLogSettings.format).",
    });
    await assertNoStackViolations(
      policy,
      createStackValidationArgs([logGroup, s], { config: { requireFormat: false } }),
    );
  });
});
