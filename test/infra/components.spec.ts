import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { actionsOf, type PolicyDoc, parsePolicy, promiseOf, useComponentMocks } from "./support";

// Component modules are loaded after the mocks are set (a static import would run first);
// `require`, because dynamic `import()` of a .ts file goes through Node's ESM loader.
type Components = {
  alarms: typeof import("../../infra/components/alarms");
  alerting: typeof import("../../infra/components/alerting");
  dashboard: typeof import("../../infra/components/dashboard");
  dlq: typeof import("../../infra/components/dead-letter-queue");
  key: typeof import("../../infra/components/encryption-key");
  fn: typeof import("../../infra/components/function");
  restApi: typeof import("../../infra/components/rest-api");
  schedule: typeof import("../../infra/components/schedule");
  tracing: typeof import("../../infra/components/tracing");
  naming: typeof import("../../infra/lib/naming");
};

const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-8000-444444444444";
const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:huntaze-api-unit-alarms";

async function parentTypeOf(resource: pulumi.Resource): Promise<string> {
  const urn = await promiseOf(resource.urn);
  const qualified = urn.split("::")[2] ?? "";
  const parts = qualified.split("$");
  return parts[parts.length - 2] ?? "";
}

function isResource(value: unknown): value is pulumi.Resource {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { __pulumiResource?: boolean }).__pulumiResource === true
  );
}

/** Every resource a component exposes (fields and arrays) is its child, named `<component>-…`. */
async function assertChildrenOf(component: pulumi.ComponentResource, type: string, name: string) {
  const children = Object.values(component)
    .flatMap((v) => (Array.isArray(v) ? v : [v]))
    .filter((v): v is pulumi.Resource => isResource(v) && v !== component);
  assert.ok(children.length > 0, `${name} exposes its children`);
  for (const child of children) {
    const urn = await promiseOf(child.urn);
    assert.equal(await parentTypeOf(child), type, `parent of ${urn}`);
    assert.ok(urn.split("::").pop()?.startsWith(`${name}-`), `${urn} is prefixed with ${name}-`);
  }
}

describe("components under Pulumi's mock runtime", () => {
  let c: Components;
  let tmp: string;
  let entry: string;

  before(async () => {
    await useComponentMocks();
    c = {
      alarms: require("../../infra/components/alarms"),
      alerting: require("../../infra/components/alerting"),
      dashboard: require("../../infra/components/dashboard"),
      dlq: require("../../infra/components/dead-letter-queue"),
      key: require("../../infra/components/encryption-key"),
      fn: require("../../infra/components/function"),
      restApi: require("../../infra/components/rest-api"),
      schedule: require("../../infra/components/schedule"),
      tracing: require("../../infra/components/tracing"),
      naming: require("../../infra/lib/naming"),
    };
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-components-"));
    entry = path.join(tmp, "handler.ts");
    fs.writeFileSync(entry, "export async function handler() { return { ok: true }; }\n");
  });

  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function functionArgs(
    overrides: Partial<import("../../infra/components/function").LambdaFunctionArgs> = {},
  ): import("../../infra/components/function").LambdaFunctionArgs {
    return {
      functionName: "huntaze-api-unit-api",
      entry,
      memoryMb: 512,
      timeoutSeconds: 10,
      reservedConcurrency: 5,
      logRetentionInDays: 30,
      logsKmsKeyArn: KEY_ARN,
      applicationLogLevel: "ERROR",
      systemLogLevel: "WARN",
      kmsKeyArn: KEY_ARN,
      environment: { STAGE: "prod" },
      bundle: { outRoot: path.join(tmp, "build"), cache: false },
      ...overrides,
    };
  }

  describe("EncryptionKey", () => {
    it("rotates the key and lets only the named services use it", async () => {
      const key = new c.key.EncryptionKey("k", {
        description: "test",
        aliasName: "huntaze-api-unit",
        accountId: "123456789012",
        partition: "aws",
        serviceGrants: [
          {
            sid: "CloudWatch",
            service: "cloudwatch.amazonaws.com",
            actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
          },
        ],
      });
      assert.equal(await promiseOf(key.key.enableKeyRotation), true);
      assert.equal(await promiseOf(key.key.deletionWindowInDays), 30);
      const policy = parsePolicy(await promiseOf(key.key.policy));
      const cw = policy.Statement.find((s) => s.Sid === "CloudWatch");
      assert.deepEqual(cw?.Principal, { Service: "cloudwatch.amazonaws.com" });
      assert.deepEqual(actionsOf(cw!), ["kms:Decrypt", "kms:GenerateDataKey*"]);
      const root = policy.Statement.find((s) => s.Sid === "EnableIamPoliciesOfThisAccount");
      assert.deepEqual(root?.Principal, { AWS: "arn:aws:iam::123456789012:root" });
      assert.equal(await promiseOf(key.alias.name), "alias/huntaze-api-unit");
      await assertChildrenOf(key, "huntaze:aws:EncryptionKey", "k");
    });

    it("refuses a service grant of kms:*", () => {
      assert.throws(
        () =>
          new c.key.EncryptionKey("k-bad", {
            description: "test",
            aliasName: "bad",
            accountId: "123456789012",
            partition: "aws",
            serviceGrants: [{ sid: "All", service: "sns.amazonaws.com", actions: ["kms:*"] }],
          }),
        /must list its KMS actions, not "kms:\*"/,
      );
    });
  });

  describe("Alerting", () => {
    it("encrypts the topic with the CMK and subscribes each address by e-mail", async () => {
      const alerting = new c.alerting.Alerting("al", {
        topicName: "huntaze-api-unit-alarms",
        kmsKeyArn: KEY_ARN,
        emails: ["ops@huntaze.example", "OPS@huntaze.example", "oncall@huntaze.example"],
      });
      assert.equal(await promiseOf(alerting.topic.kmsMasterKeyId), KEY_ARN);
      assert.equal(await promiseOf(alerting.topic.name), "huntaze-api-unit-alarms");
      assert.equal(alerting.subscriptions.length, 2, "duplicate addresses are subscribed once");
      const endpoints = await Promise.all(alerting.subscriptions.map((s) => promiseOf(s.endpoint)));
      assert.deepEqual(endpoints.sort(), ["oncall@huntaze.example", "ops@huntaze.example"]);
      for (const s of alerting.subscriptions) {
        assert.equal(await promiseOf(s.protocol), "email");
        assert.equal(await promiseOf(s.topic), await promiseOf(alerting.topicArn));
        assert.equal(await parentTypeOf(s), "huntaze:aws:Alerting");
      }
      await assertChildrenOf(alerting, "huntaze:aws:Alerting", "al");
    });

    it("needs at least one address", () => {
      assert.throws(
        () =>
          new c.alerting.Alerting("al-none", { topicName: "t", kmsKeyArn: KEY_ARN, emails: [] }),
        /at least one alert e-mail address is required/,
      );
    });
  });

  describe("LambdaFunction", () => {
    it("creates its 30-day log group before the function and logs JSON to it", async () => {
      const fn = new c.fn.LambdaFunction("fn", functionArgs());
      assert.equal(await promiseOf(fn.logGroup.name), "/aws/lambda/huntaze-api-unit-api");
      assert.equal(await promiseOf(fn.logGroup.retentionInDays), 30);
      assert.deepEqual(await promiseOf(fn.function.loggingConfig), {
        logFormat: "JSON",
        applicationLogLevel: "ERROR",
        systemLogLevel: "WARN",
        logGroup: "/aws/lambda/huntaze-api-unit-api",
      });
      await assertChildrenOf(fn, "huntaze:aws:Function", "fn");
    });

    it("traces actively, runs nodejs22.x on arm64 with explicit limits and a CMK-encrypted environment", async () => {
      const fn = new c.fn.LambdaFunction(
        "fn2",
        functionArgs({ functionName: "huntaze-api-unit-fn2" }),
      );
      assert.deepEqual(await promiseOf(fn.function.tracingConfig), { mode: "Active" });
      assert.equal(await promiseOf(fn.function.runtime), "nodejs22.x");
      assert.deepEqual(await promiseOf(fn.function.architectures), ["arm64"]);
      assert.equal(await promiseOf(fn.function.timeout), 10);
      assert.equal(await promiseOf(fn.function.memorySize), 512);
      assert.equal(await promiseOf(fn.function.reservedConcurrentExecutions), 5);
      assert.equal(await promiseOf(fn.function.kmsKeyArn), KEY_ARN);
      assert.equal(await promiseOf(fn.function.handler), "index.handler");
      assert.equal(await promiseOf(fn.function.sourceCodeHash), fn.bundle.sourceCodeHash);
    });

    it("grants its role only its own log group, X-Ray segments and its environment key", async () => {
      const fn = new c.fn.LambdaFunction(
        "fn3",
        functionArgs({ functionName: "huntaze-api-unit-fn3" }),
      );
      const policy = parsePolicy(await promiseOf(fn.rolePolicy.policy));
      const logGroupArn = await promiseOf(fn.logGroup.arn);
      const bySid = new Map(policy.Statement.map((s) => [s.Sid, s]));
      assert.deepEqual(
        [...bySid.keys()],
        ["WriteOwnLogGroup", "SendTraces", "DecryptOwnEnvironment"],
      );
      assert.deepEqual(bySid.get("WriteOwnLogGroup")?.Resource, [logGroupArn, `${logGroupArn}:*`]);
      assert.ok(!actionsOf(bySid.get("WriteOwnLogGroup")!).includes("logs:CreateLogGroup"));
      assert.deepEqual(actionsOf(bySid.get("SendTraces")!), [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
      ]);
      assert.equal(bySid.get("DecryptOwnEnvironment")?.Resource, KEY_ARN);
      const assume = JSON.parse(await promiseOf(fn.role.assumeRolePolicy)) as PolicyDoc;
      assert.deepEqual(assume.Statement[0]?.Principal, { Service: "lambda.amazonaws.com" });
    });

    it("wires a dead-letter queue and bounded asynchronous retries when asked", async () => {
      const dlqArn = "arn:aws:sqs:us-east-1:123456789012:dlq";
      const fn = new c.fn.LambdaFunction(
        "fn4",
        functionArgs({
          functionName: "huntaze-api-unit-fn4",
          deadLetterQueue: { arn: dlqArn, kmsKeyArn: KEY_ARN },
          asyncInvoke: { maxRetries: 1, maxEventAgeSeconds: 600 },
        }),
      );
      assert.deepEqual(await promiseOf(fn.function.deadLetterConfig), { targetArn: dlqArn });
      assert.ok(fn.eventInvokeConfig);
      assert.equal(await promiseOf(fn.eventInvokeConfig.maximumRetryAttempts), 1);
      assert.equal(await promiseOf(fn.eventInvokeConfig.maximumEventAgeInSeconds), 600);
      assert.equal(await promiseOf(fn.eventInvokeConfig.functionName), "huntaze-api-unit-fn4");
      const policy = parsePolicy(await promiseOf(fn.rolePolicy.policy));
      const send = policy.Statement.find((s) => s.Sid === "SendToDeadLetterQueue");
      assert.equal(send?.Resource, dlqArn);
      const encrypt = policy.Statement.find((s) => s.Sid === "EncryptDeadLetters");
      assert.deepEqual(actionsOf(encrypt!), ["kms:GenerateDataKey", "kms:Decrypt"]);
    });

    it("accepts the data tier's VPC placement, secrets to read and extra statements", async () => {
      const secretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-abc123";
      const fn = new c.fn.LambdaFunction(
        "fn5",
        functionArgs({
          functionName: "huntaze-api-unit-fn5",
          environment: { DB_SECRET_ARN: secretArn },
          vpc: { subnetIds: ["subnet-1", "subnet-2"], securityGroupIds: ["sg-1"] },
          readSecretArns: [secretArn],
          decryptKeyArns: [KEY_ARN],
          extraStatements: [
            {
              Sid: "DescribeDb",
              Effect: "Allow",
              Action: ["rds:DescribeDBInstances"],
              Resource: "*",
            },
          ],
        }),
      );
      assert.deepEqual(await promiseOf(fn.function.vpcConfig), {
        subnetIds: ["subnet-1", "subnet-2"],
        securityGroupIds: ["sg-1"],
      });
      const sids = parsePolicy(await promiseOf(fn.rolePolicy.policy)).Statement.map((s) => s.Sid);
      assert.deepEqual(sids.slice(3), [
        "ReadSecrets",
        "DecryptWithKeys",
        "ManageVpcNetworkInterfaces",
        "DescribeDb",
      ]);
    });

    it("refuses an environment variable that holds or names a secret", () => {
      assert.throws(
        () =>
          new c.fn.LambdaFunction(
            "fn-pw",
            functionArgs({ environment: { DB_PASSWORD: "hunter2" } }),
          ),
        /environment variable DB_PASSWORD looks like a secret; store the value in Secrets Manager and pass its ARN/,
      );
      assert.throws(
        () =>
          new c.fn.LambdaFunction(
            "fn-url",
            functionArgs({
              environment: { DATABASE_URL: "postgres://app:s3cret@db:5432/huntaze" },
            }),
          ),
        /environment variable DATABASE_URL looks like a secret; store the value in Secrets Manager/,
      );
      // The same names and values the policy pack's lambda-environment-no-secrets refuses.
      for (const name of ["DATABASE_URL", "CONNECTION_STRING", "REDIS_URL", "STRIPE_ACCESS_KEY"]) {
        assert.throws(
          () => c.fn.assertNoSecretEnvironment("fn", { [name]: "x" }),
          new RegExp(`environment variable ${name} looks like a secret`),
        );
      }
      assert.throws(
        () => c.fn.assertNoSecretEnvironment("fn", { UPSTREAM: "https://a?access_token=abc123" }),
        /environment variable UPSTREAM holds a URL with a credential parameter/,
      );
      assert.doesNotThrow(() =>
        c.fn.assertNoSecretEnvironment("ok", {
          DB_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:x",
          ALARM_TOPIC_ARN: "arn:aws:sns:us-east-1:1:alarms",
        }),
      );
    });

    it("refuses a role statement allowing every action", () => {
      assert.throws(
        () =>
          new c.fn.LambdaFunction(
            "fn-star",
            functionArgs({
              extraStatements: [{ Sid: "All", Effect: "Allow", Action: ["s3:*"], Resource: "*" }],
            }),
          ),
        /IAM statement All allows "s3:\*"; list the actions it needs instead/,
      );
    });
  });

  describe("DeadLetterQueue", () => {
    it("encrypts the queue with the CMK, keeps messages 14 days and denies plain HTTP", async () => {
      const dlq = new c.dlq.DeadLetterQueue("dlq", {
        queueName: "huntaze-api-unit-worker-dlq",
        kmsKeyArn: KEY_ARN,
        eventBridgeSourceArnPattern:
          "arn:aws:events:us-east-1:123456789012:rule/huntaze-api-unit-*",
      });
      assert.equal(await promiseOf(dlq.queue.kmsMasterKeyId), KEY_ARN);
      assert.equal(await promiseOf(dlq.queue.messageRetentionSeconds), 14 * 86400);
      const policy = parsePolicy(await promiseOf(dlq.policy.policy));
      const deny = policy.Statement.find((s) => s.Sid === "DenyInsecureTransport");
      assert.equal(deny?.Effect, "Deny");
      assert.deepEqual(deny?.Condition, { Bool: { "aws:SecureTransport": "false" } });
      const events = policy.Statement.find((s) => s.Sid === "EventBridgeDeadLetters");
      assert.deepEqual(events?.Principal, { Service: "events.amazonaws.com" });
      await assertChildrenOf(dlq, "huntaze:aws:DeadLetterQueue", "dlq");
    });
  });

  describe("Schedule", () => {
    it("invokes the function from one rule, retrying delivery and dead-lettering what fails", async () => {
      const dlqArn = "arn:aws:sqs:us-east-1:123456789012:dlq";
      const schedule = new c.schedule.Schedule("sch", {
        ruleName: "huntaze-api-unit-worker-nightly",
        scheduleExpression: "cron(0 3 * * ? *)",
        functionName: "huntaze-api-unit-worker",
        functionArn: "arn:aws:lambda:us-east-1:123456789012:function:huntaze-api-unit-worker",
        deadLetterQueueArn: dlqArn,
      });
      assert.equal(await promiseOf(schedule.rule.scheduleExpression), "cron(0 3 * * ? *)");
      assert.equal(await promiseOf(schedule.permission.principal), "events.amazonaws.com");
      assert.equal(
        await promiseOf(schedule.permission.sourceArn),
        await promiseOf(schedule.rule.arn),
      );
      assert.deepEqual(await promiseOf(schedule.target.deadLetterConfig), { arn: dlqArn });
      assert.deepEqual(await promiseOf(schedule.target.retryPolicy), {
        maximumRetryAttempts: 3,
        maximumEventAgeInSeconds: 3600,
      });
      await assertChildrenOf(schedule, "huntaze:aws:Schedule", "sch");
    });
  });

  describe("RestApi", () => {
    function restArgs(
      overrides: Partial<import("../../infra/components/rest-api").RestApiArgs> = {},
    ) {
      return {
        apiName: "huntaze-api-unit",
        stageName: "v1",
        functionName: "huntaze-api-unit-api",
        functionInvokeArn:
          "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/x/invocations",
        logRetentionInDays: 30,
        logsKmsKeyArn: KEY_ARN,
        throttleRateLimit: 50,
        throttleBurstLimit: 100,
        region: "us-east-1",
        accountId: "123456789012",
        partition: "aws",
        auth: {
          userPoolArns: ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Unit"],
        },
        ...overrides,
      };
    }

    it("traces the stage and writes JSON access logs to its own 30-day group", async () => {
      const api = new c.restApi.RestApi("rest", restArgs());
      assert.equal(await promiseOf(api.stage.xrayTracingEnabled), true);
      const access = await promiseOf(api.stage.accessLogSettings);
      assert.equal(access?.destinationArn, await promiseOf(api.accessLogGroup.arn));
      const format = JSON.parse(access?.format ?? "") as Record<string, string>;
      assert.equal(format.requestId, "$context.requestId");
      assert.equal(format.xrayTraceId, "$context.xrayTraceId");
      assert.equal(await promiseOf(api.accessLogGroup.retentionInDays), 30);
      assert.equal(api.xrayServiceName, "huntaze-api-unit/v1");
      await assertChildrenOf(api, "huntaze:aws:RestApi", "rest");
    });

    it("throttles every method, logs errors without bodies, and owns the execution log group", async () => {
      const api = new c.restApi.RestApi("rest2", restArgs({ apiName: "huntaze-api-unit2" }));
      assert.equal(await promiseOf(api.methodSettings.methodPath), "*/*");
      const settings = await promiseOf(api.methodSettings.settings);
      assert.equal(settings.throttlingRateLimit, 50);
      assert.equal(settings.throttlingBurstLimit, 100);
      assert.equal(settings.loggingLevel, "ERROR");
      assert.equal(settings.dataTraceEnabled, false);
      assert.equal(settings.metricsEnabled, true);
      assert.ok(api.executionLogGroup);
      const apiId = await promiseOf(api.api.id);
      assert.equal(
        await promiseOf(api.executionLogGroup.name),
        `API-Gateway-Execution-Logs_${apiId}/v1`,
      );
      assert.equal(await promiseOf(api.executionLogGroup.retentionInDays), 30);
    });

    it("proxies to Lambda and lets only its own stage invoke the function", async () => {
      const api = new c.restApi.RestApi("rest3", restArgs({ apiName: "huntaze-api-unit3" }));
      const executionArn = await promiseOf(api.api.executionArn);
      assert.equal(await promiseOf(api.invokePermission.sourceArn), `${executionArn}/v1/*/*`);
      assert.equal(await promiseOf(api.invokePermission.principal), "apigateway.amazonaws.com");
      assert.ok(api.account, "the account-level CloudWatch role is managed by default");
      assert.match(
        await promiseOf(api.account.cloudwatchRoleArn),
        /^arn:aws:iam::123456789012:role\//,
      );
    });

    it("leaves the account-wide logging role alone when another stack manages it", () => {
      const api = new c.restApi.RestApi(
        "rest4",
        restArgs({
          apiName: "huntaze-api-unit4",
          manageAccountLogRole: false,
          executionLogLevel: "OFF",
        }),
      );
      assert.equal(api.account, undefined);
      assert.equal(api.executionLogGroup, undefined);
    });
  });

  describe("Tracing", () => {
    it("samples the API stage at the configured fixed rate", async () => {
      const tracing = new c.tracing.Tracing("tr", {
        ruleName: "huntaze-api-unit",
        serviceName: "huntaze-api-unit/v1",
        fixedRate: 0.1,
      });
      const rule = tracing.samplingRule;
      assert.equal(await promiseOf(rule.fixedRate), 0.1);
      assert.equal(await promiseOf(rule.reservoirSize), 1);
      assert.equal(await promiseOf(rule.serviceName), "huntaze-api-unit/v1");
      assert.equal(await promiseOf(rule.serviceType), "AWS::ApiGateway::Stage");
      assert.equal(await promiseOf(rule.version), 1);
      await assertChildrenOf(tracing, "huntaze:aws:Tracing", "tr");
    });

    it("refuses a rate outside [0, 1]", () => {
      assert.throws(
        () =>
          new c.tracing.Tracing("tr-bad", { ruleName: "x", serviceName: "x/v1", fixedRate: 10 }),
        /fixedRate must be in \[0, 1\], not 10/,
      );
    });
  });

  describe("Alarms", () => {
    function alarmsArgs(): import("../../infra/components/alarms").AlarmsArgs {
      return {
        target: {
          naming: new c.naming.Naming("huntaze-api", "unit"),
          topicArn: TOPIC_ARN,
          runbookBaseUrl: "https://runbook.example/RUNBOOK.md",
        },
        errorRatePercent: 1,
        functions: [
          {
            subject: "api",
            functionName: "huntaze-api-unit-api",
            invocation: "request",
            durationP95Ms: 500,
          },
          {
            subject: "worker",
            functionName: "huntaze-api-unit-worker",
            invocation: "scheduled",
            durationP95Ms: 240000,
          },
        ],
        restApi: {
          apiName: "huntaze-api-unit",
          stageName: "v1",
          latencyP95Ms: 500,
          serverErrorRatePercent: 1,
        },
        deadLetterQueues: [{ queueName: "huntaze-api-unit-worker-dlq" }],
      };
    }

    it("computes each function's error rate with metric math, notifying on ALARM and OK", async () => {
      const alarms = new c.alarms.Alarms("al", alarmsArgs());
      const index = alarms.alarmNames.indexOf("huntaze-api-unit-function-error-rate-api");
      const alarm = alarms.alarms[index]!;
      const queries = await promiseOf(alarm.metricQueries);
      const signal = queries?.find((q) => q.returnData);
      assert.equal(signal?.expression, "IF(invocations > 0, 100 * errors / invocations, 0)");
      const metrics = Object.fromEntries(
        (queries ?? []).filter((q) => q.metric).map((q) => [q.id, q.metric]),
      );
      assert.equal(metrics.errors?.metricName, "Errors");
      assert.equal(metrics.invocations?.metricName, "Invocations");
      assert.deepEqual(metrics.errors?.dimensions, { FunctionName: "huntaze-api-unit-api" });
      assert.equal(await promiseOf(alarm.threshold), 1);
      assert.equal(await promiseOf(alarm.comparisonOperator), "GreaterThanThreshold");
      assert.equal(await promiseOf(alarm.datapointsToAlarm), 3);
      assert.equal(await promiseOf(alarm.evaluationPeriods), 5);
      assert.equal(await promiseOf(alarm.treatMissingData), "notBreaching");
      assert.deepEqual(await promiseOf(alarm.alarmActions), [TOPIC_ARN]);
      assert.deepEqual(await promiseOf(alarm.okActions), [TOPIC_ARN]);
      assert.equal(await promiseOf(alarm.actionsEnabled), true);
      await assertChildrenOf(alarms, "huntaze:aws:Alarms", "al");
    });

    it("alarms on API Gateway Latency p95 over 500 ms in 5 of 5 minutes and says which metric", async () => {
      const alarms = new c.alarms.Alarms("al2", {
        ...alarmsArgs(),
        target: { ...alarmsArgs().target, naming: new c.naming.Naming("huntaze-api", "unit2") },
      });
      const alarm = alarms.alarms[alarms.alarmNames.indexOf("huntaze-api-unit2-api-latency-p95")]!;
      assert.equal(await promiseOf(alarm.namespace), "AWS/ApiGateway");
      assert.equal(await promiseOf(alarm.metricName), "Latency");
      assert.equal(await promiseOf(alarm.extendedStatistic), "p95");
      assert.equal(await promiseOf(alarm.threshold), 500);
      assert.equal(await promiseOf(alarm.datapointsToAlarm), 5);
      assert.equal(await promiseOf(alarm.evaluationPeriods), 5);
      assert.match(
        (await promiseOf(alarm.alarmDescription)) ?? "",
        /^API Gateway Latency p95 .* Runbook: https:\/\/runbook\.example\/RUNBOOK\.md#api-latency-p95$/,
      );
      const duration =
        alarms.alarms[alarms.alarmNames.indexOf("huntaze-api-unit2-function-duration-p95-api")]!;
      assert.equal(await promiseOf(duration.metricName), "Duration");
      assert.equal(await promiseOf(duration.extendedStatistic), "p95");
      assert.match((await promiseOf(duration.alarmDescription)) ?? "", /^Lambda Duration p95/);
    });

    it("alarms on any dead letter, treating an idle queue's missing data as healthy", async () => {
      const alarms = new c.alarms.Alarms("al3", {
        ...alarmsArgs(),
        target: { ...alarmsArgs().target, naming: new c.naming.Naming("huntaze-api", "unit3") },
      });
      const alarm = alarms.alarms[alarms.alarmNames.indexOf("huntaze-api-unit3-dlq-depth")]!;
      assert.equal(await promiseOf(alarm.namespace), "AWS/SQS");
      assert.equal(await promiseOf(alarm.metricName), "ApproximateNumberOfMessagesVisible");
      assert.equal(await promiseOf(alarm.threshold), 0);
      assert.equal(await promiseOf(alarm.comparisonOperator), "GreaterThanThreshold");
      assert.equal(await promiseOf(alarm.treatMissingData), "notBreaching");
      assert.deepEqual(await promiseOf(alarm.dimensions), {
        QueueName: "huntaze-api-unit-worker-dlq",
      });
    });

    it("evaluates the scheduled worker on single datapoints, the API over several", async () => {
      const defs = c.alarms.functionAlarmDefinitions(
        { subject: "worker", functionName: "w", invocation: "scheduled", durationP95Ms: 1000 },
        1,
      );
      for (const d of defs) assert.equal(d.evaluation.datapointsToAlarm, 1);
      const apiDefs = c.alarms.functionAlarmDefinitions(
        { subject: "api", functionName: "a", invocation: "request", durationP95Ms: 500 },
        1,
      );
      for (const d of apiDefs) assert.ok(d.evaluation.datapointsToAlarm >= 3);
    });

    it("refuses two alarms with the same name", () => {
      const args = alarmsArgs();
      args.functions.push({ ...args.functions[0]! });
      assert.throws(
        () => new c.alarms.Alarms("al-dup", args),
        /two alarms would be named function-error-rate\/api/,
      );
    });
  });

  describe("Dashboard", () => {
    it("graphs the alarms' own signals with their thresholds", async () => {
      const defs = [
        ...c.alarms.functionAlarmDefinitions(
          {
            subject: "api",
            functionName: "huntaze-api-unit-api",
            invocation: "request",
            durationP95Ms: 500,
          },
          1,
        ),
        c.alarms.deadLetterQueueAlarmDefinition({ queueName: "q" }),
      ];
      const dashboard = new c.dashboard.Dashboard("dash", {
        dashboardName: "huntaze-api-unit",
        region: "us-east-1",
        title: "unit",
        definitions: defs,
        alarmArns: ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:a"],
      });
      const body = JSON.parse(await promiseOf(dashboard.dashboard.dashboardBody)) as {
        widgets: Array<{ type: string; properties: Record<string, unknown> }>;
      };
      const metricWidgets = body.widgets.filter((w) => w.type === "metric");
      assert.equal(metricWidgets.length, defs.length);
      const errorRate = metricWidgets[0]!.properties;
      assert.deepEqual((errorRate.metrics as unknown[])[0], [
        {
          expression: "IF(invocations > 0, 100 * errors / invocations, 0)",
          label: "Error rate (%)",
          id: "signal",
        },
      ]);
      assert.deepEqual(errorRate.annotations, {
        horizontal: [{ label: "alarm threshold", value: 1 }],
      });
      const alarmWidget = body.widgets.find((w) => w.type === "alarm");
      assert.deepEqual(alarmWidget?.properties.alarms, [
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a",
      ]);
      await assertChildrenOf(dashboard, "huntaze:aws:Dashboard", "dash");
    });
  });
});
