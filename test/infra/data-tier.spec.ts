import * as assert from "node:assert/strict";
import { parseMigrateEvent } from "../../handlers/migration/event";
import { migrationsChecksum } from "../../infra/lib/migrations";
import {
  type CapturedResource,
  type ProgramRun,
  runProgram,
} from "../../tools/preview/run-program";
import { loadStackConfig } from "../../tools/preview/stack-config";
import {
  actionsOf,
  byName,
  ofType,
  type PolicyDoc,
  PROGRAM,
  PROJECT_ROOT,
  parsePolicy,
} from "./support";

const INSTANCE = "aws:rds/instance:Instance";
const ROTATION = "aws:secretsmanager/secretRotation:SecretRotation";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const GIB = 1024 ** 3;

const EXPECTED = {
  prod: {
    instanceClass: "db.t4g.medium",
    multiAz: true,
    deletionProtection: true,
    finalSnapshot: true,
    backupDays: 14,
    allocatedGb: 50,
    memoryGiB: 4,
    maxConnections: 337,
    endpointSubnets: 2,
    slowStatementMs: "500",
  },
  staging: {
    instanceClass: "db.t4g.micro",
    multiAz: false,
    deletionProtection: false,
    finalSnapshot: false,
    backupDays: 7,
    allocatedGb: 20,
    memoryGiB: 1,
    maxConnections: 84,
    endpointSubnets: 1,
    slowStatementMs: "200",
  },
} as const;

type Statement = PolicyDoc["Statement"][number];

function statementsOf(run: ProgramRun, roleOwner: string): Statement[] {
  return parsePolicy(byName(run, `${roleOwner}-role-policy`).inputs.policy).Statement;
}

function resourcesOf(statement: Statement): string[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** Every ARN a role may call `action` on. */
function grantedFor(statements: Statement[], action: string): string[] {
  return statements
    .filter((s) => s.Effect === "Allow" && actionsOf(s).includes(action))
    .flatMap(resourcesOf);
}

for (const stack of ["prod", "staging"] as const) {
  describe(`the ${stack} stack's data tier under the offline preview`, () => {
    const expected = EXPECTED[stack];
    let run: ProgramRun;
    let db: CapturedResource;
    let dataKeyArn: unknown;
    let piKeyArn: unknown;
    let appSecretArn: unknown;
    let masterSecretArn: string;

    before(async () => {
      // The deployed view: these tests follow ARNs and ids between resources. The first-deploy
      // view (the preview's default) is tested in preview-fidelity.spec.ts.
      run = await runProgram({
        programFile: PROGRAM,
        stackConfig: loadStackConfig(PROJECT_ROOT, stack),
        firstDeploy: false,
      });
      db = ofType(run, INSTANCE)[0]!;
      dataKeyArn = byName(run, "data-key-key").outputs.arn;
      piKeyArn = byName(run, "pi-key-key").outputs.arn;
      appSecretArn = byName(run, "db-secrets-app").outputs.arn;
      masterSecretArn = (db.outputs.masterUserSecrets as Array<{ secretArn: string }>)[0]!
        .secretArn;
    });

    it("runs one PostgreSQL 17 instance of the configured class, private, on the data CMK", () => {
      assert.equal(ofType(run, INSTANCE).length, 1);
      const i = db.inputs;
      assert.equal(i.engine, "postgres");
      assert.equal(i.engineVersion, "17");
      assert.equal(i.instanceClass, expected.instanceClass);
      assert.equal(i.identifier, `huntaze-api-${stack}`);
      assert.equal(i.storageEncrypted, true);
      assert.equal(i.kmsKeyId, dataKeyArn);
      assert.equal(i.publiclyAccessible, false);
      assert.equal(i.allocatedStorage, expected.allocatedGb);
      assert.equal(i.storageType, "gp3");
      assert.equal(i.dbSubnetGroupName, byName(run, "database-subnets").outputs.name);
      assert.deepEqual(i.vpcSecurityGroupIds, [byName(run, "network-db-sg").id]);
      assert.equal(byName(run, "data-key-key").inputs.enableKeyRotation, true);
    });

    it("requires TLS and logs slow statements through its own parameter group", () => {
      const group = byName(run, "database-params");
      assert.equal(db.inputs.parameterGroupName, group.outputs.name);
      assert.equal(group.inputs.family, "postgres17");
      const parameters = group.inputs.parameters as Array<{ name: string; value: string }>;
      assert.equal(parameters.find((p) => p.name === "rds.force_ssl")?.value, "1");
      assert.equal(
        parameters.find((p) => p.name === "log_min_duration_statement")?.value,
        expected.slowStatementMs,
      );
    });

    it("enables Performance Insights on its own KMS key, 7 days (the free tier)", () => {
      assert.equal(db.inputs.performanceInsightsEnabled, true);
      assert.equal(db.inputs.performanceInsightsKmsKeyId, piKeyArn);
      assert.notEqual(piKeyArn, dataKeyArn, "not the storage key");
      assert.equal(db.inputs.performanceInsightsRetentionPeriod, 7);
      assert.equal(db.inputs.databaseInsightsMode, "standard");
      assert.equal(run.outputs.performanceInsightsKmsKeyArn, piKeyArn);
    });

    it("turns on Enhanced Monitoring with a role only RDS can assume, and exports postgresql and upgrade logs", () => {
      const role = byName(run, "database-monitoring-role");
      assert.equal(db.inputs.monitoringInterval, 60);
      assert.equal(db.inputs.monitoringRoleArn, role.outputs.arn);
      const trust = parsePolicy(role.inputs.assumeRolePolicy).Statement[0]!;
      assert.deepEqual(trust.Principal, { Service: "monitoring.rds.amazonaws.com" });
      assert.ok(trust.Condition?.StringEquals?.["aws:SourceAccount"]);
      assert.equal(
        byName(run, "database-monitoring-policy").inputs.policyArn,
        "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
      );
      assert.deepEqual(db.inputs.enabledCloudwatchLogsExports, ["postgresql", "upgrade"]);
    });

    it("lets RDS generate and keep the master password in Secrets Manager on the data CMK", () => {
      assert.equal(db.inputs.manageMasterUserPassword, true);
      assert.equal(db.inputs.masterUserSecretKmsKeyId, dataKeyArn);
      assert.equal(db.inputs.password, undefined);
      assert.equal(db.inputs.passwordWo, undefined);
      assert.equal(run.outputs.masterSecretArn, masterSecretArn);
    });

    it(
      stack === "prod"
        ? "protects prod: Multi-AZ, deletion protection, a final snapshot, 14 days of backups"
        : "relaxes staging explicitly: one AZ, no deletion protection, no final snapshot, 7 days of backups",
      () => {
        const i = db.inputs;
        assert.equal(i.multiAz, expected.multiAz);
        assert.equal(i.deletionProtection, expected.deletionProtection);
        assert.equal(i.skipFinalSnapshot, !expected.finalSnapshot);
        // Named after the generated parameter group: unique per instance and major version.
        const group = ofType(run, "aws:rds/parameterGroup:ParameterGroup")[0]!;
        assert.equal(
          i.finalSnapshotIdentifier,
          expected.finalSnapshot ? `${String(group.outputs.name)}-final` : undefined,
        );
        assert.equal(i.backupRetentionPeriod, expected.backupDays);
        assert.equal(i.autoMinorVersionUpgrade, true);
      },
    );

    it("keeps the app secret on the data CMK, with no value in the program", () => {
      const secret = byName(run, "db-secrets-app");
      assert.equal(secret.inputs.kmsKeyId, dataKeyArn);
      assert.equal(
        ofType(run, "aws:secretsmanager/secretVersion:SecretVersion").length,
        0,
        "the migration function writes its first value: no password in Pulumi state",
      );
      assert.equal(run.outputs.appSecretArn, appSecretArn);
    });

    it("rotates the app secret every 30 days with AWS's alternating-users function, pinned, in the VPC", () => {
      const app = byName(run, "db-secrets-rotation-app");
      assert.match(
        String(app.inputs.applicationId),
        /^arn:aws:serverlessrepo:us-east-1:297356227824:applications\/SecretsManagerRDSPostgreSQLRotationMultiUser$/,
      );
      assert.equal(app.inputs.semanticVersion, "1.1.671");
      const p = app.inputs.parameters as Record<string, string>;
      assert.equal(p.functionName, `huntaze-api-${stack}-db-rotation`);
      assert.equal(p.endpoint, "https://secretsmanager.us-east-1.amazonaws.com");
      assert.equal(
        p.vpcSubnetIds,
        [byName(run, "network-private-0").id, byName(run, "network-private-1").id].join(","),
      );
      assert.equal(p.vpcSecurityGroupIds, byName(run, "network-rotation-sg").id);
      assert.equal(p.masterSecretArn, masterSecretArn);
      assert.equal(p.masterSecretKmsKeyArn, dataKeyArn);
      assert.equal(p.kmsKeyArn, dataKeyArn);
      const logGroup = byName(run, "db-secrets-rotation-log-group");
      assert.equal(logGroup.inputs.name, `/aws/lambda/huntaze-api-${stack}-db-rotation`);
      assert.equal(logGroup.inputs.retentionInDays, 30);
      assert.ok(app.dependencies.includes(logGroup.urn), "its log group exists before it");

      const rotation = byName(run, "db-rotation-app");
      assert.equal(rotation.inputs.secretId, appSecretArn);
      assert.equal(
        rotation.inputs.rotationLambdaArn,
        (app.outputs.outputs as Record<string, string>).RotationLambdaARN,
      );
      assert.deepEqual(rotation.inputs.rotationRules, { automaticallyAfterDays: 30 });
      assert.equal(rotation.inputs.rotateImmediately, true);
    });

    it("starts rotating the app secret only after the migration run has given it a value", () => {
      const rotation = byName(run, "db-rotation-app");
      assert.ok(rotation.dependencies.includes(byName(run, "migrations-run").urn));
    });

    it("states the RDS-managed master secret's rotation (7 days, no Lambda, not during the deploy)", () => {
      const rotation = byName(run, "db-rotation-master");
      assert.equal(rotation.inputs.secretId, masterSecretArn);
      assert.equal(rotation.inputs.rotationLambdaArn, undefined);
      assert.deepEqual(rotation.inputs.rotationRules, { automaticallyAfterDays: 7 });
      assert.equal(rotation.inputs.rotateImmediately, false);
      assert.equal(ofType(run, ROTATION).length, 2);
    });

    it("lets the API and the worker read the app secret and never the master secret", () => {
      for (const owner of ["api", "worker"]) {
        const statements = statementsOf(run, owner);
        assert.deepEqual(grantedFor(statements, "secretsmanager:GetSecretValue"), [appSecretArn]);
        const text = JSON.stringify(statements);
        assert.ok(!text.includes(masterSecretArn), `${owner} names the master secret nowhere`);
        // The data key also protects the master secret: decrypt only through Secrets Manager,
        // only for the app secret.
        const decrypt = statements.filter(
          (s) =>
            actionsOf(s).includes("kms:Decrypt") && resourcesOf(s).includes(String(dataKeyArn)),
        );
        assert.equal(decrypt.length, 1);
        assert.deepEqual(decrypt[0]!.Condition, {
          StringEquals: {
            "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
            "kms:EncryptionContext:SecretARN": appSecretArn,
          },
        });
        assert.equal(grantedFor(statements, "secretsmanager:PutSecretValue").length, 0);
      }
    });

    it("lets only the migration function read the master secret, and write only the app secret", () => {
      const readers = ofType(run, "aws:iam/rolePolicy:RolePolicy").filter((p) =>
        JSON.stringify(p.inputs.policy).includes(masterSecretArn),
      );
      assert.deepEqual(
        readers.map((p) => p.name),
        ["migrations-function-role-policy"],
      );
      const statements = statementsOf(run, "migrations-function");
      assert.deepEqual(
        [...grantedFor(statements, "secretsmanager:GetSecretValue")].sort(),
        [masterSecretArn, String(appSecretArn)].sort(),
      );
      assert.deepEqual(grantedFor(statements, "secretsmanager:PutSecretValue"), [appSecretArn]);
    });

    it("passes the functions the app secret's ARN as DB_SECRET_ARN, never a secret value", () => {
      for (const name of ["api-function", "worker-function", "migrations-function-function"]) {
        const env = (byName(run, name).inputs.environment as { variables: Record<string, string> })
          .variables;
        assert.equal(env.DB_SECRET_ARN, appSecretArn, name);
        assert.ok(!Object.values(env).includes("[secret]"), `${name} holds no Pulumi secret`);
      }
      const migrateEnv = (
        byName(run, "migrations-function-function").inputs.environment as {
          variables: Record<string, string>;
        }
      ).variables;
      assert.equal(migrateEnv.MASTER_SECRET_ARN, masterSecretArn);
      assert.equal(migrateEnv.DB_HOST, db.outputs.address);
      assert.equal(migrateEnv.DB_NAME, "huntaze");
      assert.equal(migrateEnv.DB_APP_USERNAME, "huntaze_app");
    });

    it("runs every function in the private subnets behind the app security group", () => {
      const subnets = [byName(run, "network-private-0").id, byName(run, "network-private-1").id];
      for (const name of ["api-function", "worker-function", "migrations-function-function"]) {
        assert.deepEqual(
          byName(run, name).inputs.vpcConfig,
          { subnetIds: subnets, securityGroupIds: [byName(run, "network-app-sg").id] },
          name,
        );
      }
    });

    it("lets only the functions and the rotation function reach PostgreSQL, on 5432", () => {
      const dbSg = byName(run, "network-db-sg");
      assert.equal(dbSg.inputs.ingress, undefined, "no inline rules");
      assert.equal(dbSg.inputs.egress, undefined);
      const rules = ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
        (r) => r.inputs.securityGroupId === dbSg.id,
      );
      assert.deepEqual(
        rules
          .map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.fromPort, r.inputs.toPort])
          .sort(),
        [
          [byName(run, "network-app-sg").id, 5432, 5432],
          [byName(run, "network-rotation-sg").id, 5432, 5432],
        ].sort(),
      );
      for (const rule of rules) assert.equal(rule.inputs.cidrIpv4, undefined);
      for (const client of ["network-app-sg", "network-rotation-sg"]) {
        const egress = byName(run, client).inputs.egress as Array<Record<string, unknown>>;
        assert.deepEqual(
          egress.map((e) => [e.fromPort, e.securityGroups]),
          [
            [5432, [dbSg.id]],
            [443, [byName(run, "network-endpoints-sg").id]],
          ],
          client,
        );
        for (const e of egress) assert.equal(e.cidrBlocks, undefined, `${client}: no CIDR egress`);
      }
    });

    it("builds private subnets in two AZs with no internet path, and locks the default security group", () => {
      const vpc = byName(run, "network-vpc");
      assert.equal(vpc.inputs.enableDnsSupport, true);
      assert.equal(vpc.inputs.enableDnsHostnames, true);
      const subnets = ofType(run, "aws:ec2/subnet:Subnet");
      assert.equal(subnets.length, 2);
      assert.deepEqual(
        subnets.map((s) => s.inputs.availabilityZone),
        ["us-east-1a", "us-east-1b"],
      );
      for (const s of subnets) assert.equal(s.inputs.mapPublicIpOnLaunch, false);
      for (const type of [
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/route:Route",
      ]) {
        assert.equal(ofType(run, type).length, 0, type);
      }
      const locked = byName(run, "network-default-sg");
      assert.deepEqual([locked.inputs.ingress, locked.inputs.egress], [[], []]);
      assert.equal(run.outputs.vpcId, vpc.id);
    });

    it(`reaches Secrets Manager, the RDS API and X-Ray through private endpoints in ${expected.endpointSubnets} AZ(s)`, () => {
      const endpoints = ofType(run, "aws:ec2/vpcEndpoint:VpcEndpoint");
      assert.deepEqual(endpoints.map((e) => e.inputs.serviceName).sort(), [
        "com.amazonaws.us-east-1.rds",
        "com.amazonaws.us-east-1.secretsmanager",
        "com.amazonaws.us-east-1.xray",
      ]);
      for (const e of endpoints) {
        assert.equal(e.inputs.vpcEndpointType, "Interface");
        assert.equal(e.inputs.privateDnsEnabled, true);
        assert.equal((e.inputs.subnetIds as string[]).length, expected.endpointSubnets);
        assert.deepEqual(e.inputs.securityGroupIds, [byName(run, "network-endpoints-sg").id]);
      }
      const secretsEndpoint = byName(run, "network-secretsmanager-endpoint");
      const policy = parsePolicy(secretsEndpoint.inputs.policy).Statement[0]!;
      assert.deepEqual(policy.Condition, {
        StringEquals: { "aws:PrincipalAccount": "123456789012" },
      });
    });

    it("invokes the migration function on deploy, keyed on the migrations' checksum", () => {
      const invocation = byName(run, "migrations-run");
      const checksum = migrationsChecksum();
      assert.equal(invocation.inputs.functionName, `huntaze-api-${stack}-migrate`);
      assert.deepEqual(JSON.parse(String(invocation.inputs.input)), { checksum });
      assert.deepEqual(invocation.inputs.triggers, {
        migrationsChecksum: checksum,
        databaseResourceId: db.outputs.resourceId,
        appSecretArn,
      });
      assert.equal(invocation.inputs.lifecycleScope, "CREATE_ONLY");
      for (const needed of [
        "migrations-function-function",
        "database-instance",
        "network-secretsmanager-endpoint",
        "network-db-from-app",
      ]) {
        assert.ok(invocation.dependencies.includes(byName(run, needed).urn), needed);
      }
      assert.equal(run.outputs.migrationsChecksum, checksum);
      assert.deepEqual(run.outputs.migrationsApplied, [], "the offline mock applies nothing");
      const fn = byName(run, "migrations-function-function");
      assert.equal(fn.inputs.reservedConcurrentExecutions, 1);
      assert.equal(fn.inputs.timeout, 300);
    });

    it("never asks the deploy-time invocation to resolve a migration: that is an operator's request", () => {
      const input = JSON.parse(String(byName(run, "migrations-run").inputs.input));
      assert.deepEqual(parseMigrateEvent(input), { kind: "apply", checksum: migrationsChecksum() });
    });

    it("alarms on CPU, free storage, connections, memory and latency of the instance, as AWS recommends", () => {
      const topicArn = ofType(run, "aws:sns/topic:Topic")[0]!.outputs.arn;
      const p = `huntaze-api-${stack}`;
      const alarm = (name: string, section = name) => {
        const found = ofType(run, ALARM).find((a) => a.inputs.name === `${p}-${name}`);
        assert.ok(found, name);
        assert.deepEqual(found.inputs.alarmActions, [topicArn]);
        assert.deepEqual(found.inputs.okActions, [topicArn]);
        assert.match(
          String(found.inputs.alarmDescription),
          new RegExp(`Runbook: \\S+#${section}$`),
        );
        return found.inputs;
      };
      const rds = (
        name: string,
        metric: string,
        threshold: number,
        comparison: string,
        m: number,
      ) => {
        const a = alarm(name);
        assert.equal(a.namespace, "AWS/RDS");
        assert.equal(a.metricName, metric);
        assert.deepEqual(a.dimensions, { DBInstanceIdentifier: p });
        assert.equal(a.threshold, threshold, name);
        assert.equal(a.comparisonOperator, comparison);
        assert.equal(a.datapointsToAlarm, m);
        assert.equal(a.evaluationPeriods, m);
        return a;
      };
      rds("rds-cpu", "CPUUtilization", 90, "GreaterThanThreshold", 5);
      rds(
        "rds-free-storage",
        "FreeStorageSpace",
        Math.round(expected.allocatedGb * GIB * 0.1),
        "LessThanThreshold",
        5,
      );
      const connections = rds(
        "rds-connections",
        "DatabaseConnections",
        Math.floor(expected.maxConnections * 0.9),
        "GreaterThanThreshold",
        5,
      );
      assert.match(
        String(connections.alarmDescription),
        new RegExp(`max_connections \\(${expected.maxConnections}, estimated`),
      );
      rds(
        "rds-freeable-memory",
        "FreeableMemory",
        Math.round(expected.memoryGiB * GIB * 0.1),
        "LessThanThreshold",
        15,
      );
      assert.equal(
        rds("rds-read-latency", "ReadLatency", 0.02, "GreaterThanThreshold", 5).extendedStatistic,
        "p90",
      );
      assert.equal(
        rds("rds-write-latency", "WriteLatency", 0.02, "GreaterThanThreshold", 5).extendedStatistic,
        "p90",
      );
      const rotationErrors = alarm("secret-rotation-failed-errors", "secret-rotation-failed");
      assert.deepEqual(rotationErrors.dimensions, { FunctionName: `${p}-db-rotation` });
    });

    it("sends Secrets Manager's RotationFailed events to the alarm topic, which EventBridge may use", () => {
      const rule = byName(run, "db-alarms-rotation-failed");
      assert.equal(rule.inputs.name, `huntaze-api-${stack}-secret-rotation-failed`);
      const pattern = JSON.parse(String(rule.inputs.eventPattern)) as {
        source: string[];
        detail: { eventName: string[] };
      };
      assert.deepEqual(pattern.source, ["aws.secretsmanager"]);
      assert.deepEqual(pattern.detail.eventName, ["RotationFailed"]);
      const topic = ofType(run, "aws:sns/topic:Topic")[0]!;
      const target = byName(run, "db-alarms-rotation-failed-target");
      assert.equal(target.inputs.arn, topic.outputs.arn);
      assert.match(
        String((target.inputs.inputTransformer as { inputTemplate: string }).inputTemplate),
        /#secret-rotation-failed"/,
      );
      assert.deepEqual(target.inputs.deadLetterConfig, {
        arn: ofType(run, "aws:sqs/queue:Queue")[0]!.outputs.arn,
      });
      const topicPolicy = byName(run, "db-alarms-topic-policy");
      assert.equal(topicPolicy.inputs.arn, topic.outputs.arn);
      const publish = parsePolicy(topicPolicy.inputs.policy).Statement.find(
        (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: "events.amazonaws.com" }),
      );
      assert.deepEqual(publish?.Condition, { ArnEquals: { "aws:SourceArn": rule.outputs.arn } });
      assert.ok(target.dependencies.includes(topicPolicy.urn));
      // The topic is encrypted: its key must let EventBridge encrypt what it publishes.
      const keyGrant = parsePolicy(byName(run, "key-key").inputs.policy).Statement.find(
        (s) => s.Sid === "EventBridgePublishesToEncryptedTopic",
      );
      assert.deepEqual(keyGrant?.Principal, { Service: "events.amazonaws.com" });
      assert.deepEqual(actionsOf(keyGrant!), ["kms:Decrypt", "kms:GenerateDataKey"]);
    });

    it("exports the data tier's identifiers and ARNs, and no secret", () => {
      const o = run.outputs as Record<string, unknown>;
      assert.equal(o.dbInstanceId, `huntaze-api-${stack}`);
      assert.match(
        String(o.dbEndpoint),
        new RegExp(`^huntaze-api-${stack}\\..+\\.rds\\.amazonaws\\.com:5432$`),
      );
      assert.match(String(o.masterSecretArn), /^arn:aws:secretsmanager:/);
      assert.deepEqual(run.secretOutputs, []);
      assert.ok(
        (o.logGroupNames as string[]).includes(`/aws/lambda/huntaze-api-${stack}-db-rotation`),
      );
    });
  });
}
