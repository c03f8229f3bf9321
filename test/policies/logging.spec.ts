import { Stage as RestApiStage } from "@pulumi/aws/apigateway/stage";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import { CloudFormationStack } from "@pulumi/aws/serverlessrepository/cloudFormationStack";
import { Parameter } from "@pulumi/aws/ssm/parameter";
import {
  apiStageAccessLogging,
  cloudwatchLogGroupRetention,
  lambdaManagedLogGroup,
  rdsLogGroupsManaged,
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
  type StackResourceSpec,
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

  it("stands down for a resource exempted in the config, with its owner and reason", async () => {
    const args = createResourceValidationArgs(
      LogGroup,
      { retentionInDays: 0 },
      {
        name: "audit",
        config: {
          exemptions: [
            {
              resource: "audit",
              owner: "security-team",
              reason: "kept forever for audit",
              expires: "2027-06-30",
            },
          ],
        },
      },
    );
    await assertResourceNotApplicable(
      policy,
      args,
      /exempted until 2027-06-30 by policy config exemptions\[0\] \(owner: security-team\): kept forever/,
    );
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

  it("matches each of many functions to its own log group, built from it or named literally", async () => {
    const fns = [0, 1, 2, 3].map((i) =>
      res(LambdaFunction, `fn-${i}`, { name: i < 2 ? UNKNOWN : `huntaze-api-prod-fn-${i}` }),
    );
    const groups = [
      res(LogGroup, "fn-0-logs", { name: UNKNOWN, retentionInDays: 30 }, { name: [fns[0]!] }),
      res(LogGroup, "fn-2-logs", {
        name: "/aws/lambda/huntaze-api-prod-fn-2",
        retentionInDays: 30,
      }),
    ];
    const args = createStackValidationArgs([...fns, ...groups]);
    // fn-1's name is unknown and nothing is built from it: its default group cannot be named.
    await assertNeedsUnknownValue(policy, args);
    const known = createStackValidationArgs([fns[0]!, fns[2]!, fns[3]!, ...groups]);
    await assertHasStackViolation(policy, known, {
      message: 'create "/aws/lambda/huntaze-api-prod-fn-3" here',
      resource: "fn-3",
    });
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

    it("decides at a first preview from the groups in stack order: an auto-named group after the match", async () => {
      const group = res(LogGroup, "rotator-logs", {
        name: "/aws/lambda/huntaze-api-prod-rotator",
        retentionInDays: 30,
      });
      const autoNamed = res(LogGroup, "auto-named", { name: UNKNOWN, retentionInDays: 30 });
      await assertNoStackViolations(policy, createStackValidationArgs([group, autoNamed, app]));
      // An auto-named group reached first has a name unknown until the update.
      await assertNeedsUnknownValue(policy, createStackValidationArgs([autoNamed, group, app]));
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

describe("#rds-log-groups-managed", () => {
  const policy = rdsLogGroupsManaged;
  const EXPORTS = ["postgresql", "upgrade"];
  const group = (logExport: string, name = `/aws/rds/instance/huntaze-api-prod/${logExport}`) =>
    res(LogGroup, `database-${logExport}-log-group`, { name, retentionInDays: 30 });
  const instance = (
    props: Record<string, unknown> = {},
    dependsOn: StackResourceSpec[] = [],
    deps: Record<string, StackResourceSpec[]> = {},
  ) =>
    res(
      RdsInstance,
      "database-instance",
      {
        identifier: "huntaze-api-prod",
        engine: "postgres",
        monitoringInterval: 60,
        enabledCloudwatchLogsExports: EXPORTS,
        ...props,
      },
      deps,
      dependsOn,
    );
  /** The component's shape: both groups, then the instance depending on them. */
  const happy = (props: Record<string, unknown> = {}) => {
    const groups = EXPORTS.map((e) => group(e));
    return [...groups, instance(props, groups)];
  };

  it("passes an instance whose exports' log groups are in the stack, created before it", async () => {
    await assertNoStackViolations(policy, createStackValidationArgs(happy(), { policy }));
  });

  it("fails an instance whose upgrade log group is not in the stack, naming the group RDS would create", async () => {
    const postgresql = group("postgresql");
    const args = createStackValidationArgs([postgresql, instance({}, [postgresql])], { policy });
    await assertHasStackViolation(policy, args, {
      message:
        'RDS instance "database-instance" must have the log group of its "upgrade" export created in this stack with retention: create "/aws/rds/instance/huntaze-api-prod/upgrade" and make the instance depend on it, or RDS creates one that never expires.',
      resource: "database-instance",
    });
  });

  it("fails a log group named after another instance", async () => {
    const wrong = group("postgresql", "/aws/rds/instance/huntaze-api-staging/postgresql");
    const upgrade = group("upgrade");
    const args = createStackValidationArgs([wrong, upgrade, instance({}, [wrong, upgrade])], {
      policy,
    });
    await assertHasStackViolation(policy, args, {
      message: 'create "/aws/rds/instance/huntaze-api-prod/postgresql"',
    });
  });

  it("fails an instance that does not depend on its log groups, unless the config waives it", async () => {
    const groups = EXPORTS.map((e) => group(e));
    const specs = [...groups, instance()];
    await assertHasStackViolation(policy, createStackValidationArgs(specs, { policy }), {
      message:
        'RDS instance "database-instance" must depend on its log group "/aws/rds/instance/huntaze-api-prod/postgresql" (dependsOn), so the group exists before RDS first publishes to it.',
    });
    await assertNoStackViolations(
      policy,
      createStackValidationArgs(specs, { policy, config: { requireDependency: false } }),
    );
  });

  it("fails a log group named from the instance's own outputs, which is created after it", async () => {
    const db = instance();
    const late = res(LogGroup, "database-postgresql-log-group", { name: UNKNOWN }, { name: [db] });
    const upgrade = group("upgrade");
    const args = createStackValidationArgs([db, late, upgrade], { policy });
    await assertHasStackViolation(policy, args, {
      message:
        'RDS instance "database-instance" must not name its log group "database-postgresql-log-group" (logical name) from its own outputs',
    });
  });

  it("matches the lowercase group RDS publishes to when the identifier has capitals", async () => {
    const groups = EXPORTS.map((e) => group(e));
    await assertNoStackViolations(
      policy,
      createStackValidationArgs([...groups, instance({ identifier: "Huntaze-API-Prod" }, groups)], {
        policy,
      }),
    );
  });

  it("fails an instance without an explicit identifier, whose groups cannot be named before it", async () => {
    const args = createStackValidationArgs([instance({ identifier: undefined })], { policy });
    await assertHasStackViolation(policy, args, {
      message:
        'RDS instance "database-instance" must set an explicit identifier and create the log group of its "postgresql" export, "/aws/rds/instance/<identifier>/postgresql", in this stack before it',
    });
  });

  describe("with an identifier taken from another resource (unknown in a preview)", () => {
    const source = res(Parameter, "db-identifier", { name: "/huntaze/db-identifier" });

    it("passes groups named from the same resource that the instance depends on", async () => {
      const groups = EXPORTS.map((e) =>
        res(LogGroup, `database-${e}-log-group`, { name: UNKNOWN }, { name: [source] }),
      );
      const db = instance({ identifier: UNKNOWN }, groups, { identifier: [source] });
      await assertNoStackViolations(
        policy,
        createStackValidationArgs([source, ...groups, db], { policy }),
      );
    });

    it("fails when no group is named from it", async () => {
      const db = instance({ identifier: UNKNOWN }, [], { identifier: [source] });
      await assertHasStackViolation(policy, createStackValidationArgs([source, db], { policy }), {
        message:
          'create "/aws/rds/instance/<identifier>/postgresql" and make the instance depend on it',
      });
    });
  });

  describe("Enhanced Monitoring's account-wide RDSOSMetrics group", () => {
    const osMetrics = res(LogGroup, "database-os-metrics-log-group", {
      name: "RDSOSMetrics",
      retentionInDays: 30,
    });

    it("is not required by default: it is shared by every instance of the account and region", async () => {
      await assertNoStackViolations(policy, createStackValidationArgs(happy(), { policy }));
    });

    it("is required, before the instance, when the config says this stack owns it", async () => {
      const config = { requireOsMetricsLogGroup: true };
      await assertHasStackViolation(
        policy,
        createStackValidationArgs(happy(), { policy, config }),
        {
          message:
            'RDS instance "database-instance" must have Enhanced Monitoring\'s "RDSOSMetrics" log group created in this stack with retention (requireOsMetricsLogGroup), or RDS creates one that never expires.',
        },
      );
      const groups = [...EXPORTS.map((e) => group(e)), osMetrics];
      await assertNoStackViolations(
        policy,
        createStackValidationArgs([...groups, instance({}, groups)], { policy, config }),
      );
    });

    it("is not required for an instance without Enhanced Monitoring", async () => {
      const config = { requireOsMetricsLogGroup: true };
      await assertNoStackViolations(
        policy,
        createStackValidationArgs(happy({ monitoringInterval: 0 }), { policy, config }),
      );
    });
  });

  it("is not applicable to a stack whose instances export no logs", async () => {
    await assertStackNotApplicable(
      policy,
      createStackValidationArgs([instance({ enabledCloudwatchLogsExports: undefined })], {
        policy,
      }),
      /no RDS instances exporting logs/,
    );
  });

  it("stands down for an instance exempted in the config", async () => {
    const args = createStackValidationArgs([instance()], {
      policy,
      config: {
        exemptions: [
          {
            resource: "database-instance",
            reason: "log groups managed by a platform stack",
            expires: "2027-06-30",
          },
        ],
      },
    });
    await assertStackNotApplicable(policy, args, /no RDS instances exporting logs/);
  });

  it("does not guess when the exports are unknown during preview", async () => {
    await assertNeedsUnknownValue(
      policy,
      createStackValidationArgs(happy({ enabledCloudwatchLogsExports: UNKNOWN }), { policy }),
    );
  });
});
