import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { RUNBOOK_SECTIONS } from "../../infra/lib/runbook";
import { type ProgramRun, runProgram } from "../../tools/preview/run-program";
import { loadStackConfig } from "../../tools/preview/stack-config";
import {
  actionsOf,
  byName,
  ofType,
  PROGRAM,
  PROJECT_ROOT,
  parsePolicy,
  typeOfUrn,
  useComponentMocks,
} from "./support";

const FUNCTION = "aws:lambda/function:Function";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

const EXPECTED = {
  prod: { samplingRate: 0.1, appLogLevel: "ERROR", errorRate: 1, apiConcurrency: 100 },
  staging: { samplingRate: 1, appLogLevel: "INFO", errorRate: 5, apiConcurrency: 10 },
} as const;

for (const stack of ["prod", "staging"] as const) {
  describe(`the ${stack} stack under the offline preview`, () => {
    let run: ProgramRun;
    const expected = EXPECTED[stack];

    before(async () => {
      // The deployed view: these tests follow ARNs and ids between resources. The first-deploy
      // view (the preview's default) is tested in preview-fidelity.spec.ts.
      run = await runProgram({
        programFile: PROGRAM,
        stackConfig: loadStackConfig(PROJECT_ROOT, stack),
        firstDeploy: false,
      });
    });

    it("gives every function and the API's logs their own 30-day log group", () => {
      const groups = new Map(ofType(run, LOG_GROUP).map((g) => [String(g.inputs.name), g]));
      for (const fn of ofType(run, FUNCTION)) {
        const group = groups.get(`/aws/lambda/${String(fn.inputs.name)}`);
        assert.ok(group, `log group of ${String(fn.inputs.name)}`);
        assert.equal(group.inputs.retentionInDays, 30);
        assert.ok(fn.dependencies.includes(group.urn), "the group is created before the function");
        assert.equal((fn.inputs.loggingConfig as { logGroup: string }).logGroup, group.inputs.name);
      }
      const stage = ofType(run, "aws:apigateway/stage:Stage")[0]!;
      const access = ofType(run, LOG_GROUP).find(
        (g) =>
          g.outputs.arn ===
          (stage.inputs.accessLogSettings as { destinationArn: string }).destinationArn,
      );
      assert.ok(access, "access logs go to a group of the stack");
      for (const group of ofType(run, LOG_GROUP)) assert.equal(group.inputs.retentionInDays, 30);
      assert.equal(
        ofType(run, LOG_GROUP).length,
        stack === "prod" ? 9 : 8,
        "api, worker, migrate, the rotation function, access and execution logs, RDS's postgresql and upgrade logs, and in prod the WAF's",
      );
    });

    it("runs every function traced, on nodejs22.x arm64, with explicit limits and JSON logs", () => {
      const functions = ofType(run, FUNCTION);
      assert.deepEqual(functions.map((f) => f.inputs.name).sort(), [
        `huntaze-api-${stack}-api`,
        `huntaze-api-${stack}-migrate`,
        `huntaze-api-${stack}-worker`,
      ]);
      for (const fn of functions) {
        assert.deepEqual(fn.inputs.tracingConfig, { mode: "Active" });
        assert.equal(fn.inputs.runtime, "nodejs22.x");
        assert.deepEqual(fn.inputs.architectures, ["arm64"]);
        assert.equal(typeof fn.inputs.timeout, "number");
        assert.equal(typeof fn.inputs.memorySize, "number");
        assert.ok(Number(fn.inputs.reservedConcurrentExecutions) >= 1);
        assert.deepEqual(fn.inputs.loggingConfig, {
          logFormat: "JSON",
          applicationLogLevel: expected.appLogLevel,
          systemLogLevel: "WARN",
          logGroup: `/aws/lambda/${String(fn.inputs.name)}`,
        });
      }
      assert.equal(
        byName(run, "api-function").inputs.reservedConcurrentExecutions,
        expected.apiConcurrency,
      );
    });

    it("encrypts the environment with the rotating CMK and puts no secret in it", () => {
      const key = byName(run, "key-key");
      assert.equal(key.inputs.enableKeyRotation, true);
      for (const fn of ofType(run, FUNCTION)) {
        assert.equal(fn.inputs.kmsKeyArn, key.outputs.arn);
        const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
        assert.equal(env.STAGE, stack);
        assert.equal(env.POWERTOOLS_SERVICE_NAME, "huntaze-api");
        for (const [name, value] of Object.entries(env)) {
          assert.notEqual(value, "[secret]", `${name} is not a Pulumi secret`);
          assert.doesNotMatch(name, /PASSWORD|TOKEN|SECRET(?!_ARN)|API_?KEY/i);
          assert.doesNotMatch(String(value), /:\/\/[^/\s:@]+:[^/\s@]+@/);
        }
      }
    });

    it("grants no IAM role a wildcard action; only X-Ray's and the VPC network interfaces' actions use Resource *", () => {
      const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy");
      assert.equal(policies.length, 4, "api, worker, migrate and the API Gateway logging role");
      // Read from the documents as registered: no action has a `*` anywhere (stricter than the
      // program's own guard, which allows prefixes such as `kms:GenerateDataKey*`).
      const starred = policies.flatMap((policy) =>
        parsePolicy(policy.inputs.policy)
          .Statement.flatMap(actionsOf)
          .filter((action) => action.includes("*"))
          .map((action) => `${policy.name}: ${action}`),
      );
      assert.deepEqual(starred, []);
      // The internet-facing function can do exactly this, and nothing else.
      const apiActions = parsePolicy(byName(run, "api-role-policy").inputs.policy)
        .Statement.flatMap(actionsOf)
        .sort();
      assert.deepEqual(
        [...new Set(apiActions)],
        [
          "ec2:AssignPrivateIpAddresses",
          "ec2:CreateNetworkInterface",
          "ec2:DeleteNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:UnassignPrivateIpAddresses",
          "kms:Decrypt",
          "logs:CreateLogStream",
          "logs:PutLogEvents",
          "secretsmanager:GetSecretValue",
          "xray:PutTelemetryRecords",
          "xray:PutTraceSegments",
        ],
      );
      for (const policy of policies) {
        for (const statement of parsePolicy(policy.inputs.policy).Statement) {
          if (statement.Resource === "*") {
            // EC2's network-interface actions for VPC functions take no resource scoping.
            assert.ok(
              ["SendTraces", "ManageVpcNetworkInterfaces"].includes(String(statement.Sid)),
              `${policy.name}: ${String(statement.Sid)} uses Resource *`,
            );
            if (statement.Sid === "SendTraces") {
              assert.deepEqual(actionsOf(statement), [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
              ]);
            }
          }
        }
      }
    });

    it("encrypts the alarm topic with the CMK that CloudWatch may use, and subscribes the alert e-mails", () => {
      const key = byName(run, "key-key");
      const topic = ofType(run, "aws:sns/topic:Topic")[0]!;
      assert.equal(topic.inputs.kmsMasterKeyId, key.outputs.arn);
      const grant = parsePolicy(key.inputs.policy).Statement.find(
        (s) =>
          JSON.stringify(s.Principal) === JSON.stringify({ Service: "cloudwatch.amazonaws.com" }),
      );
      assert.ok(grant, "the key policy lets CloudWatch use the key");
      assert.deepEqual(actionsOf(grant), ["kms:Decrypt", "kms:GenerateDataKey*"]);
      const subscriptions = ofType(run, "aws:sns/topicSubscription:TopicSubscription");
      assert.ok(subscriptions.length >= 1);
      for (const s of subscriptions) {
        assert.equal(s.inputs.protocol, "email");
        assert.equal(s.inputs.topic, topic.outputs.arn);
      }
    });

    it("sends the worker's failed asynchronous invocations to a KMS-encrypted DLQ", () => {
      const key = byName(run, "key-key");
      const queue = ofType(run, "aws:sqs/queue:Queue")[0]!;
      assert.equal(queue.inputs.kmsMasterKeyId, key.outputs.arn);
      const worker = byName(run, "worker-function");
      assert.deepEqual(worker.inputs.deadLetterConfig, { targetArn: queue.outputs.arn });
      const invokeConfig = ofType(
        run,
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
      )[0]!;
      assert.equal(invokeConfig.inputs.functionName, worker.inputs.name);
      assert.equal(invokeConfig.inputs.maximumRetryAttempts, 2);
      assert.equal(invokeConfig.inputs.maximumEventAgeInSeconds, 3600);
      const rule = byName(run, "worker-schedule-rule");
      assert.match(String(rule.inputs.scheduleExpression), /^cron\(/);
      const target = byName(run, "worker-schedule-target");
      assert.equal(target.inputs.arn, worker.outputs.arn);
      assert.deepEqual(target.inputs.deadLetterConfig, { arn: queue.outputs.arn });
      const api = byName(run, "api-function");
      assert.equal(api.inputs.deadLetterConfig, undefined, "the synchronous API path has no DLQ");
    });

    it("records each failed asynchronous worker invocation, with its error, in the DLQ", () => {
      const queue = ofType(run, "aws:sqs/queue:Queue")[0]!;
      const invokeConfig = ofType(
        run,
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
      )[0]!;
      assert.deepEqual(invokeConfig.inputs.destinationConfig, {
        onFailure: { destination: queue.outputs.arn },
      });
    });

    it("encrypts every log group with the key that grants CloudWatch Logs for this account and region", () => {
      const key = byName(run, "key-key");
      for (const group of ofType(run, LOG_GROUP)) {
        assert.equal(group.inputs.kmsKeyId, key.outputs.arn, `${group.name} is on the stack key`);
      }
      const grant = parsePolicy(key.inputs.policy).Statement.find(
        (s) =>
          JSON.stringify(s.Principal) ===
          JSON.stringify({ Service: "logs.us-east-1.amazonaws.com" }),
      ) as { Condition?: unknown } | undefined;
      assert.ok(grant, "the key policy lets CloudWatch Logs in this region use the key");
      assert.deepEqual(actionsOf(grant as never), [
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
      ]);
      assert.deepEqual(grant.Condition, {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*",
        },
      });
    });

    it("lets operators use IAM database authentication", () => {
      const db = ofType(run, "aws:rds/instance:Instance")[0]!;
      assert.equal(db.inputs.iamDatabaseAuthenticationEnabled, true);
    });

    it("serves a REST API (not HTTP API) through a traced, throttled stage", () => {
      assert.equal(ofType(run, "aws:apigatewayv2/api:Api").length, 0);
      const stage = ofType(run, "aws:apigateway/stage:Stage")[0]!;
      assert.equal(stage.inputs.xrayTracingEnabled, true);
      const format = (stage.inputs.accessLogSettings as { format: string }).format;
      assert.equal((JSON.parse(format) as Record<string, string>).status, "$context.status");
      const settings = ofType(run, "aws:apigateway/methodSettings:MethodSettings")[0]!;
      const s = settings.inputs.settings as Record<string, unknown>;
      assert.equal(typeof s.throttlingRateLimit, "number");
      assert.equal(typeof s.throttlingBurstLimit, "number");
      assert.equal(s.dataTraceEnabled, false);
      for (const integration of ofType(run, "aws:apigateway/integration:Integration")) {
        assert.equal(integration.inputs.type, "AWS_PROXY");
        assert.equal(integration.inputs.uri, byName(run, "api-function").outputs.invokeArn);
      }
      const account = ofType(run, "aws:apigateway/account:Account")[0]!;
      assert.ok(
        stage.dependencies.includes(account.urn),
        "the logging role is set before the stage",
      );
    });

    it("authorizes every method with the Cognito authorizer except GET /health", () => {
      const authorizer = ofType(run, "aws:apigateway/authorizer:Authorizer")[0]!;
      assert.equal(authorizer.inputs.type, "COGNITO_USER_POOLS");
      assert.deepEqual(authorizer.propertyDependencies.providerArns, [
        byName(run, "identity-user-pool").urn,
      ]);
      const methods = ofType(run, "aws:apigateway/method:Method");
      assert.equal(methods.length, 3);
      for (const method of methods) {
        if (method.name === "http-health-method") {
          assert.equal(method.inputs.authorization, "NONE");
          assert.equal(method.inputs.httpMethod, "GET");
          continue;
        }
        assert.equal(method.inputs.authorization, "COGNITO_USER_POOLS", method.name);
        assert.deepEqual(method.propertyDependencies.authorizerId, [authorizer.urn]);
      }
      const deployment = ofType(run, "aws:apigateway/deployment:Deployment")[0]!;
      for (const r of [...methods, authorizer]) {
        assert.ok(deployment.dependencies.includes(r.urn), `the deployment waits for ${r.name}`);
      }
      const api = byName(run, "api-function");
      const env = (api.inputs.environment as { variables: Record<string, string> }).variables;
      assert.equal(env.AUTH_MODE, "cognito-authorizer");
      assert.equal(env.AUTH_CREATOR_CLAIM, "custom:creator_id");
      assert.ok(
        api.propertyDependencies.environment?.includes(byName(run, "identity-client").urn),
        "AUTH_AUDIENCE is the app client's id",
      );
    });

    if (stack === "prod") {
      it("puts the stage behind a WAF web ACL that logs to a 30-day aws-waf-logs- group", () => {
        const associations = ofType(run, "aws:wafv2/webAclAssociation:WebAclAssociation");
        const stage = ofType(run, "aws:apigateway/stage:Stage")[0]!;
        assert.equal(associations.length, 1);
        assert.deepEqual(associations[0].propertyDependencies.resourceArn, [stage.urn]);
        const logs = byName(run, "firewall-logs");
        assert.equal(logs.inputs.name, "aws-waf-logs-huntaze-api-prod");
        assert.equal(logs.inputs.retentionInDays, 30);
        assert.ok(
          (run.outputs as { alarmNames: string[] }).alarmNames.includes(
            "huntaze-api-prod-waf-blocked-requests",
          ),
        );
      });
    } else {
      it("opts out of the WAF web ACL by explicit config", () => {
        assert.equal(ofType(run, "aws:wafv2/webAclAssociation:WebAclAssociation").length, 0);
      });
    }

    it(`samples ${expected.samplingRate * 100} % of the API stage's requests`, () => {
      const rule = ofType(run, "aws:xray/samplingRule:SamplingRule")[0]!;
      assert.equal(rule.inputs.fixedRate, expected.samplingRate);
      assert.equal(rule.inputs.serviceName, `huntaze-api-${stack}/v1`);
      assert.equal(rule.inputs.serviceType, "AWS::ApiGateway::Stage");
      const stage = ofType(run, "aws:apigateway/stage:Stage")[0]!;
      assert.equal(rule.inputs.resourceArn, stage.outputs.arn);
    });

    it("alarms with metric math, p95 latency, throttles, 5xx and DLQ depth, all notifying the topic", () => {
      const topicArn = ofType(run, "aws:sns/topic:Topic")[0]!.outputs.arn;
      const alarms = ofType(run, ALARM);
      const names = alarms.map((a) => String(a.inputs.name)).sort();
      const p = `huntaze-api-${stack}`;
      assert.deepEqual(names, [
        `${p}-api-5xx-rate`,
        `${p}-api-latency-p95`,
        `${p}-dlq-depth`,
        `${p}-function-duration-p95-api`,
        `${p}-function-duration-p95-migrate`,
        `${p}-function-duration-p95-worker`,
        `${p}-function-error-rate-api`,
        `${p}-function-error-rate-migrate`,
        `${p}-function-error-rate-worker`,
        `${p}-function-throttles-api`,
        `${p}-function-throttles-migrate`,
        `${p}-function-throttles-worker`,
        // The data tier's (test/infra/data-tier.spec.ts checks them).
        `${p}-rds-connections`,
        `${p}-rds-cpu`,
        `${p}-rds-free-storage`,
        `${p}-rds-freeable-memory`,
        `${p}-rds-read-latency`,
        `${p}-rds-write-latency`,
        `${p}-secret-rotation-failed-errors`,
        `${p}-slow-queries`,
        ...(stack === "prod" ? [`${p}-waf-blocked-requests`] : []),
      ]);
      for (const alarm of alarms) {
        const i = alarm.inputs;
        assert.deepEqual(i.alarmActions, [topicArn], `${String(i.name)} alarm actions`);
        assert.deepEqual(i.okActions, [topicArn], `${String(i.name)} OK actions`);
        assert.equal(i.actionsEnabled, true);
        assert.ok(Number(i.datapointsToAlarm) >= 1);
        assert.ok(Number(i.evaluationPeriods) >= Number(i.datapointsToAlarm));
        assert.ok(
          ["notBreaching", "breaching", "missing", "ignore"].includes(String(i.treatMissingData)),
        );
        const link = /Runbook: (\S+)#([a-z0-9-]+)$/.exec(String(i.alarmDescription));
        assert.ok(link, `${String(i.name)} ends with its runbook link`);
        assert.equal(link[1], "https://github.com/huntaze/huntaze-api/blob/main/docs/RUNBOOK.md");
        assert.ok((RUNBOOK_SECTIONS as readonly string[]).includes(link[2]!));
        assert.ok(String(i.name).startsWith(`${p}-${link[2]}`), "named after its runbook section");
      }
      const errorRate = alarms.find((a) => a.inputs.name === `${p}-function-error-rate-api`)!;
      const queries = errorRate.inputs.metricQueries as Array<Record<string, unknown>>;
      assert.equal(
        queries.find((q) => q.returnData === true)?.expression,
        "IF(invocations > 0, 100 * errors / invocations, 0)",
      );
      assert.equal(errorRate.inputs.threshold, expected.errorRate);
      for (const name of [`${p}-api-latency-p95`, `${p}-function-duration-p95-api`]) {
        const alarm = alarms.find((a) => a.inputs.name === name)!;
        assert.equal(alarm.inputs.extendedStatistic, "p95");
        assert.equal(alarm.inputs.threshold, 500);
        assert.equal(alarm.inputs.datapointsToAlarm, 5);
      }
      assert.match(
        String(
          alarms.find((a) => a.inputs.name === `${p}-api-latency-p95`)!.inputs.alarmDescription,
        ),
        /^API Gateway Latency p95/,
      );
      const dlq = alarms.find((a) => a.inputs.name === `${p}-dlq-depth`)!;
      assert.equal(dlq.inputs.metricName, "ApproximateNumberOfMessagesVisible");
      assert.equal(dlq.inputs.treatMissingData, "notBreaching");
    });

    it("graphs every alarm's signal on the dashboard", () => {
      const dashboard = ofType(run, "aws:cloudwatch/dashboard:Dashboard")[0]!;
      const body = JSON.parse(String(dashboard.inputs.dashboardBody)) as {
        widgets: Array<{ type: string; properties: { metrics?: unknown[]; alarms?: unknown[] } }>;
      };
      assert.equal(
        body.widgets.filter((w) => w.type === "metric").length,
        ofType(run, ALARM).length + 1,
        "every alarm's signal, and the connection retries",
      );
      const alarmWidget = body.widgets.find((w) => w.type === "alarm");
      assert.deepEqual(
        [...(alarmWidget?.properties.alarms ?? [])].sort(),
        ofType(run, ALARM)
          .map((a) => a.outputs.arn)
          .sort(),
      );
    });

    it("alarms on the handlers' SlowQueries metric and graphs their ConnectionRetries", () => {
      const alarm = ofType(run, ALARM).find(
        (a) => a.inputs.name === `huntaze-api-${stack}-slow-queries`,
      )!;
      assert.equal(alarm.inputs.namespace, "huntaze-api");
      assert.equal(alarm.inputs.metricName, "SlowQueries");
      assert.deepEqual(alarm.inputs.dimensions, { service: "huntaze-api", stage: stack });
      assert.equal(alarm.inputs.statistic, "Sum");
      assert.equal(alarm.inputs.threshold, 5);
      assert.equal(alarm.inputs.treatMissingData, "notBreaching");
      assert.match(String(alarm.inputs.alarmDescription), /RUNBOOK\.md#slow-queries$/);
      const dashboard = ofType(run, "aws:cloudwatch/dashboard:Dashboard")[0]!;
      const body = String(dashboard.inputs.dashboardBody);
      assert.ok(
        body.includes(
          JSON.stringify([
            "huntaze-api",
            "ConnectionRetries",
            "service",
            "huntaze-api",
            "stage",
            stack,
            { stat: "Sum" },
          ]),
        ),
        "the retries graph reads the handlers' metric",
      );
    });

    it("parents every resource to a component, named after it", () => {
      const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
      for (const r of run.resources) {
        if (r.type === "pulumi:pulumi:Stack") continue;
        const parent = byUrn.get(r.parent);
        assert.ok(parent, `${r.name} has a registered parent`);
        if (r.custom) {
          assert.match(parent.type, /^huntaze:aws:/, `${r.type} ${r.name} is a component's child`);
          assert.ok(
            r.name.startsWith(`${parent.name}-`),
            `${r.name} is prefixed with ${parent.name}-`,
          );
          assert.equal(typeOfUrn(r.urn), r.type);
        } else if (parent.type !== "pulumi:pulumi:Stack") {
          // A component may compose another (the migrations use a function component).
          assert.match(parent.type, /^huntaze:aws:/, `${r.type} ${r.name}'s parent`);
          assert.ok(
            r.name.startsWith(`${parent.name}-`),
            `${r.name} is prefixed with ${parent.name}-`,
          );
        }
      }
    });

    it("exports the contract's outputs and no secret", () => {
      assert.deepEqual(Object.keys(run.outputs).sort(), [
        "alarmNames",
        "alarmTopicArn",
        "apiFunctionName",
        "apiUrl",
        "appSecretArn",
        "dashboardName",
        "dbEndpoint",
        "dbInstanceId",
        "dlqArn",
        "dlqUrl",
        "logGroupNames",
        "masterSecretArn",
        "migrationsApplied",
        "migrationsChecksum",
        "performanceInsightsKmsKeyArn",
        "samplingRate",
        "samplingRuleName",
        "userPoolClientId",
        "userPoolId",
        "vpcId",
        ...(stack === "prod" ? ["webAclArn"] : []),
        "workerFunctionName",
      ]);
      assert.deepEqual(run.secretOutputs, []);
      const o = run.outputs as Record<string, unknown>;
      assert.match(String(o.apiUrl), /^https:\/\/.+\.execute-api\.us-east-1\.amazonaws\.com\/v1$/);
      assert.equal(o.apiFunctionName, `huntaze-api-${stack}-api`);
      assert.equal(o.samplingRate, expected.samplingRate);
      assert.equal((o.alarmNames as string[]).length, ofType(run, ALARM).length);
      assert.deepEqual(
        [...(o.logGroupNames as string[])].sort(),
        ofType(run, LOG_GROUP)
          .map((g) => String(g.outputs.name))
          .sort(),
      );
      assert.equal(o.dashboardName, `huntaze-api-${stack}`);
    });
  });
}

describe("bad stack config under the offline preview", () => {
  it("fails the run with the key, the stack file and the expected form", async () => {
    const stackConfig = loadStackConfig(PROJECT_ROOT, "prod");
    stackConfig.config["huntaze-api:samplingRate"] = "1.5";
    await assert.rejects(runProgram({ programFile: PROGRAM, stackConfig }), (err: Error) => {
      assert.equal(
        err.message,
        "huntaze-api:samplingRate must be a number in [0, 1] (Pulumi.prod.yaml)",
      );
      return true;
    });
  });

  it("stops before any resource is declared", async () => {
    const stackConfig = loadStackConfig(PROJECT_ROOT, "prod");
    pulumi.runtime.setAllConfig(
      { ...stackConfig.config, "huntaze-api:samplingRate": "1.5" },
      stackConfig.secretKeys,
    );
    const created = await useComponentMocks("prod");
    for (const key of Object.keys(require.cache)) {
      if (key.startsWith(path.join(PROJECT_ROOT, "infra"))) delete require.cache[key];
    }
    assert.throws(() => require(PROGRAM), /huntaze-api:samplingRate must be a number in \[0, 1\]/);
    // Registrations are asynchronous: give any declared resource time to reach the mocks.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      created.map((r) => r.type),
      [],
    );
  });
});
