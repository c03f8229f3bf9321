/**
 * Stack policies on many resources: the lookups they index once per evaluation decide exactly as
 * the per-resource scans they replace (these tests pass on the scanning policies too). Each
 * stack mixes resources linked by the engine's property dependencies with literal references,
 * in an order where a lookup returning the wrong resource, or the right ones out of order,
 * changes the report.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { Integration as RestApiIntegration } from "@pulumi/aws/apigateway/integration";
import { RestApi } from "@pulumi/aws/apigateway/restApi";
import { MetricAlarm } from "@pulumi/aws/cloudwatch/metricAlarm";
import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { Key as KmsKey } from "@pulumi/aws/kms/key";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import { ParameterGroup } from "@pulumi/aws/rds/parameterGroup";
import { Proxy as RdsProxy } from "@pulumi/aws/rds/proxy";
import { ProxyDefaultTargetGroup } from "@pulumi/aws/rds/proxyDefaultTargetGroup";
import { ProxyTarget } from "@pulumi/aws/rds/proxyTarget";
import { Secret } from "@pulumi/aws/secretsmanager/secret";
import { SecretRotation } from "@pulumi/aws/secretsmanager/secretRotation";
import { Topic } from "@pulumi/aws/sns/topic";
import { lambdaLatencyAlarm, rdsInstanceAlarms } from "../../policies/src/alarms";
import { lambdaDbConnectionBudget } from "../../policies/src/capacity";
import { rdsForceSsl } from "../../policies/src/database";
import { alarmTopicCmk } from "../../policies/src/messaging";
import { secretsmanagerSecretRotation } from "../../policies/src/secrets";
import { evaluatePolicies, mandatoryViolations } from "../../tools/policy/evaluate";
import {
  FIXED_RESOURCES,
  functionsFor,
  RESOURCES_PER_FUNCTION,
  SCALE_FUNCTIONS_ENV,
} from "../../tools/policy/scale-program";
import { runProgram } from "../../tools/preview/run-program";
import { loadStackConfig } from "../../tools/preview/stack-config";
import {
  alarmSpec,
  createStackValidationArgs,
  type PolicyOutcome,
  postgresIngressSpec,
  res,
  runStackPolicy,
  type StackResourceSpec,
  UNKNOWN,
} from "./helpers";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** The logical names of the resources the violations are about, in report order. */
const reported = (outcome: PolicyOutcome) => {
  assert.equal(outcome.unknownValue, undefined, outcome.unknownValue);
  assert.equal(outcome.notApplicable, undefined, outcome.notApplicable);
  return outcome.violations.map((v) => v.urn?.split("::").pop());
};

/** An alarm notifying the stack's topic. */
const alarm = alarmSpec.bind(undefined, TOPIC);

describe("stack policies on many resources", () => {
  it("rds-instance-alarms: each of many instances finds its own alarms, by dependency or identifier", async () => {
    const dbs = range(40).map((i) => res(RdsInstance, `db-${i}`, { identifier: `prod-db-${i}` }));
    const alarms = range(40).flatMap((i) => {
      const db = dbs[i] as StackResourceSpec;
      const cpu =
        i % 2 === 0
          ? alarm(
              `cpu-${i}`,
              "AWS/RDS",
              "CPUUtilization",
              { DBInstanceIdentifier: UNKNOWN },
              {
                dimensions: [db],
              },
            )
          : alarm(`cpu-${i}`, "AWS/RDS", "CPUUtilization", {
              DBInstanceIdentifier: `prod-db-${i}`,
            });
      // Every fifth instance has no storage alarm; every seventh's watches another metric.
      const storage =
        i % 5 === 0
          ? []
          : [
              alarm(`storage-${i}`, "AWS/RDS", i % 7 === 0 ? "ReadLatency" : "FreeStorageSpace", {
                DBInstanceIdentifier: `prod-db-${i}`,
              }),
            ];
      return [...storage, cpu];
    });
    // Identifiers one instance's prefix of another's (db-1, db-10…) must not match.
    const outcome = await runStackPolicy(
      rdsInstanceAlarms,
      createStackValidationArgs([...dbs, ...alarms.reverse()]),
    );
    const missing = range(40).filter((i) => i % 5 === 0 || i % 7 === 0);
    assert.deepEqual(
      reported(outcome),
      missing.map((i) => `db-${i}`),
    );
    assert.ok(
      outcome.violations.every((v) =>
        v.message.includes("must have alarms on FreeStorageSpace (AWS/RDS"),
      ),
    );
  });

  it("lambda-db-connection-budget: finds among many functions those each instance and proxy admits, in stack order", async () => {
    const groups = range(4).map((g) => res(SecurityGroup, `fn-sg-${g}`, { id: UNKNOWN }));
    const fns = range(48).map((i) =>
      res(
        LambdaFunction,
        `fn-${i}`,
        {
          name: `fn-${i}`,
          reservedConcurrentExecutions: 2,
          vpcConfig: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: [UNKNOWN] },
        },
        { vpcConfig: [groups[i % 4] as StackResourceSpec] },
      ),
    );
    const specs: StackResourceSpec[] = [...groups, ...fns];
    // Instance d admits function group d directly; instance 0 also through a proxy admitting
    // groups 0 (already direct) and 3.
    for (const d of range(3)) {
      const dbGroup = res(SecurityGroup, `db-sg-${d}`, { id: UNKNOWN });
      const params = res(ParameterGroup, `params-${d}`, {
        name: `params-${d}`,
        family: "postgres17",
        parameters: [{ name: "max_connections", value: "20" }],
      });
      const db = res(
        RdsInstance,
        `db-${d}`,
        {
          identifier: `db-${d}`,
          instanceClass: "db.t4g.micro",
          vpcSecurityGroupIds: [UNKNOWN],
          parameterGroupName: d === 1 ? "params-1" : UNKNOWN,
        },
        d === 1
          ? { vpcSecurityGroupIds: [dbGroup] }
          : { vpcSecurityGroupIds: [dbGroup], parameterGroupName: [params] },
      );
      specs.push(
        dbGroup,
        params,
        db,
        postgresIngressSpec(`db-${d}-from-fn`, dbGroup, groups[d] as StackResourceSpec),
      );
      if (d !== 0) continue;
      const proxyGroup = res(SecurityGroup, "proxy-sg", { id: UNKNOWN });
      const proxy = res(
        RdsProxy,
        "proxy",
        { name: "proxy", vpcSecurityGroupIds: [UNKNOWN] },
        { vpcSecurityGroupIds: [proxyGroup] },
      );
      specs.push(
        proxyGroup,
        proxy,
        res(
          ProxyDefaultTargetGroup,
          "proxy-targets",
          { dbProxyName: UNKNOWN, connectionPoolConfig: { maxConnectionsPercent: 50 } },
          { dbProxyName: [proxy] },
        ),
        res(
          ProxyTarget,
          "proxy-target",
          { dbProxyName: UNKNOWN, targetGroupName: "default", dbInstanceIdentifier: UNKNOWN },
          { dbProxyName: [proxy], dbInstanceIdentifier: [db] },
        ),
        postgresIngressSpec("proxy-from-fn-0", proxyGroup, groups[0] as StackResourceSpec),
        postgresIngressSpec("proxy-from-fn-3", proxyGroup, groups[3] as StackResourceSpec),
        postgresIngressSpec("db-0-from-proxy", dbGroup, proxyGroup),
      );
    }
    const outcome = await runStackPolicy(
      lambdaDbConnectionBudget,
      createStackValidationArgs(specs, { policy: lambdaDbConnectionBudget }),
    );
    assert.deepEqual(reported(outcome), ["proxy", "db-0", "db-1", "db-2"]);
    const inGroup = (g: number) =>
      fns
        .filter((_, i) => i % 4 === g)
        .map((f) => `function "${f.name}" 2 × 1`)
        .join(" + ");
    const [viaProxy, db0, db1, db2] = outcome.violations.map((v) => v.message);
    assert.ok(viaProxy?.includes(`reach it: ${inGroup(3)} = 24 >`), viaProxy);
    assert.ok(db0?.includes(`reach it: ${inGroup(0)} + `), db0);
    assert.ok(db1?.includes(`reach it: ${inGroup(1)} + `), db1);
    assert.ok(db2?.includes(`reach it: ${inGroup(2)} + `), db2);
  });

  it("rds-force-ssl: each of many instances finds its parameter group, by dependency or name", async () => {
    const groups = range(30).map((i) =>
      res(ParameterGroup, `params-${i}`, {
        name: `params-${i}`,
        family: "postgres17",
        parameters: [{ name: "rds.force_ssl", value: i % 4 === 0 ? "0" : "1" }],
      }),
    );
    const dbs = range(30).map((i) =>
      res(
        RdsInstance,
        `db-${i}`,
        {
          engine: "postgres",
          parameterGroupName: i % 2 === 0 ? UNKNOWN : `params-${i}`,
        },
        i % 2 === 0 ? { parameterGroupName: [groups[i] as StackResourceSpec] } : {},
      ),
    );
    const outcome = await runStackPolicy(
      rdsForceSsl,
      createStackValidationArgs([...groups.reverse(), ...dbs]),
    );
    assert.deepEqual(
      reported(outcome),
      range(30)
        .filter((i) => i % 4 === 0)
        .map((i) => `db-${i}`),
    );
  });

  it("secretsmanager-secret-rotation: each of many rotations finds its secret, by dependency or name", async () => {
    const secrets = range(30).map((i) =>
      res(Secret, `secret-${i}`, { name: `secret-${i}`, arn: UNKNOWN }),
    );
    const rotations = range(30)
      .filter((i) => i % 3 !== 0)
      .map((i) =>
        res(
          SecretRotation,
          `rotation-${i}`,
          {
            secretId: i % 2 === 0 ? UNKNOWN : `secret-${i}`,
            rotationLambdaArn: "arn:aws:lambda:eu-west-1:123456789012:function:rotator",
            rotationRules: { automaticallyAfterDays: 30 },
          },
          i % 2 === 0 ? { secretId: [secrets[i] as StackResourceSpec] } : {},
        ),
      );
    const outcome = await runStackPolicy(
      secretsmanagerSecretRotation,
      createStackValidationArgs([...rotations, ...secrets]),
    );
    assert.deepEqual(
      reported(outcome),
      range(30)
        .filter((i) => i % 3 === 0)
        .map((i) => `secret-${i}`),
    );
  });

  it("alarm-topic-cmk: finds the topics many alarms notify, by dependency or ARN", async () => {
    const key = res(KmsKey, "key", { policy: UNKNOWN });
    const topics = range(20).map((i) =>
      res(Topic, `topic-${i}`, {
        name: `topic-${i}`,
        ...(i % 3 === 0 ? {} : { kmsMasterKeyId: "alias/other" }),
      }),
    );
    // Alarms notify the even topics only: half through the topic's ARN, half by literal ARN.
    const alarms = range(20)
      .filter((i) => i % 2 === 0)
      .map((i) =>
        i % 4 === 0
          ? res(
              MetricAlarm,
              `alarm-${i}`,
              { alarmActions: [UNKNOWN] },
              {
                alarmActions: [topics[i] as StackResourceSpec],
              },
            )
          : res(MetricAlarm, `alarm-${i}`, {
              alarmActions: [`arn:aws:sns:eu-west-1:123456789012:topic-${i}`],
            }),
      );
    const outcome = await runStackPolicy(
      alarmTopicCmk,
      createStackValidationArgs([key, ...alarms, ...topics]),
    );
    // Unencrypted topics that an alarm notifies, in the order alarms first reach them.
    assert.deepEqual(
      reported(outcome),
      range(20)
        .filter((i) => i % 2 === 0 && i % 3 === 0)
        .map((i) => `topic-${i}`),
    );
  });

  it("lambda-latency-alarm: finds the literal integration URIs naming each of many functions", async () => {
    const api = res(RestApi, "api", { name: "prod-api" });
    const fns = range(24).map((i) => res(LambdaFunction, `fn-${i}`, { name: `fn-${i}` }));
    const uri = (name: string) =>
      `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:${name}/invocations`;
    // Functions 12…23 are invoked by literal URIs; fn-1 and fn-2 match too, since a URI naming
    // fn-12 contains ":function:fn-1" (the policy matches the name as a substring).
    const integrations = range(12).map((i) =>
      res(
        RestApiIntegration,
        `integration-${i}`,
        { restApi: UNKNOWN, uri: uri(`fn-${i + 12}`) },
        { restApi: [api] },
      ),
    );
    const latency = alarm("api-latency", "AWS/ApiGateway", "Latency", { ApiName: "prod-api" });
    const outcome = await runStackPolicy(
      lambdaLatencyAlarm,
      createStackValidationArgs([...fns, api, ...integrations.reverse(), latency]),
    );
    assert.deepEqual(
      reported(outcome),
      range(12)
        .filter((i) => i !== 1 && i !== 2)
        .map((i) => `fn-${i}`),
    );
  });
});

describe("the generated scale program (tools/policy/scale-program.ts)", () => {
  it("registers its resources per function, half linked through outputs, and passes the prod pack's mandatory policies", async () => {
    const previous = process.env[SCALE_FUNCTIONS_ENV];
    process.env[SCALE_FUNCTIONS_ENV] = "4";
    try {
      const stackConfig = loadStackConfig(PROJECT_ROOT, "prod");
      const run = await runProgram({
        programFile: path.join(PROJECT_ROOT, "tools", "policy", "scale-program.ts"),
        stackConfig,
      });
      assert.equal(run.resources.length, FIXED_RESOURCES + 4 * RESOURCES_PER_FUNCTION);
      assert.equal(functionsFor(run.resources.length), 4);
      const alarmOf = (name: string) => run.resources.find((r) => r.name === name);
      // Even functions' alarms are built from the function's name, odd ones' are literals.
      assert.deepEqual(alarmOf("fn-0-errors")?.propertyDependencies.dimensions, [
        run.resources.find((r) => r.name === "fn-0")?.urn,
      ]);
      assert.deepEqual(alarmOf("fn-1-errors")?.propertyDependencies.dimensions ?? [], []);
      const evaluation = await evaluatePolicies(run, stackConfig);
      assert.deepEqual(mandatoryViolations(evaluation), []);
    } finally {
      if (previous === undefined) delete process.env[SCALE_FUNCTIONS_ENV];
      else process.env[SCALE_FUNCTIONS_ENV] = previous;
    }
  });
});
