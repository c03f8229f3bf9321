import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { migrationsChecksum } from "../../infra/lib/migrations";
import { PROJECT_ROOT, promiseOf, useComponentMocks } from "./support";

type Modules = {
  network: typeof import("../../infra/components/network");
  database: typeof import("../../infra/components/database");
  secrets: typeof import("../../infra/components/db-secrets");
  migrations: typeof import("../../infra/components/migrations");
};

const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-8000-444444444444";
const MASTER_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf";
const APP_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-XyZ";

/** The types of the resources a component declared, from the mocks' record. */
function typesIn(created: pulumi.runtime.MockResourceArgs[], prefix: string): string[] {
  return created.filter((r) => r.name.startsWith(`${prefix}-`)).map((r) => r.type);
}

describe("data tier components under Pulumi's mock runtime", () => {
  let m: Modules;
  let created: pulumi.runtime.MockResourceArgs[];
  let scratch: string;

  before(async () => {
    created = await useComponentMocks();
    m = {
      network: require("../../infra/components/network"),
      database: require("../../infra/components/database"),
      secrets: require("../../infra/components/db-secrets"),
      migrations: require("../../infra/components/migrations"),
    };
    // Bundle assets must sit inside the project: a scratch dir under .build/.
    scratch = fs.mkdtempSync(path.join(PROJECT_ROOT, ".build", "test-data-tier-"));
  });

  after(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  describe("Network", () => {
    it("splits the VPC CIDR into sixteenths for the private subnets", () => {
      assert.equal(m.network.subnetCidr("10.40.0.0/16", 4, 0), "10.40.0.0/20");
      assert.equal(m.network.subnetCidr("10.40.0.0/16", 4, 1), "10.40.16.0/20");
      assert.equal(m.network.subnetCidr("192.168.8.0/22", 4, 1), "192.168.8.64/26");
      assert.throws(() => m.network.subnetCidr("10.0.0.0/26", 4, 0), /does not exist/);
    });

    it("uses an existing VPC's subnets without creating a VPC, subnets or a default group", async () => {
      const net = new m.network.Network("net-existing", {
        namePrefix: "huntaze-api-unit",
        region: "us-east-1",
        accountId: "123456789012",
        existing: {
          vpcId: "vpc-0123456789abcdef0",
          subnetIds: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
        },
        endpointAzCount: 1,
      });
      assert.equal(await promiseOf(net.vpcId), "vpc-0123456789abcdef0");
      assert.deepEqual(await Promise.all(net.subnetIds.map((s) => promiseOf(s))), [
        "subnet-0123456789abcdef0",
        "subnet-0fedcba9876543210",
      ]);
      assert.equal(net.vpc, undefined);
      assert.equal(net.subnets.length, 0);
      assert.equal(net.defaultSecurityGroup, undefined);
      assert.equal(net.endpoints.length, 3);
      for (const endpoint of net.endpoints) {
        assert.deepEqual(await promiseOf(endpoint.subnetIds), ["subnet-0123456789abcdef0"]);
        assert.equal(await promiseOf(endpoint.vpcId), "vpc-0123456789abcdef0");
      }
      const types = typesIn(created, "net-existing");
      assert.ok(!types.includes("aws:ec2/vpc:Vpc"));
      assert.ok(!types.includes("aws:ec2/subnet:Subnet"));
    });

    it("without endpoints, lets the functions use HTTPS through the VPC's own route and still only 5432 to the database", async () => {
      const net = new m.network.Network("net-noendpoints", {
        namePrefix: "huntaze-api-unit",
        region: "us-east-1",
        accountId: "123456789012",
        existing: {
          vpcId: "vpc-0123456789abcdef0",
          subnetIds: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
        },
        createEndpoints: false,
      });
      assert.equal(net.endpoints.length, 0);
      assert.equal(net.endpointSecurityGroup, undefined);
      assert.equal(net.endpointIngress.length, 0);
      const egress = await promiseOf(net.appSecurityGroup.egress);
      assert.deepEqual(
        egress.map((e) => [e.fromPort, e.cidrBlocks ?? e.securityGroups]),
        [
          [5432, [await promiseOf(net.databaseSecurityGroup.id)]],
          [443, ["0.0.0.0/0"]],
        ],
      );
      assert.equal(net.databaseIngress.length, 2);
    });

    it("refuses an existing VPC with fewer than two subnets", () => {
      assert.throws(
        () =>
          new m.network.Network("net-bad", {
            namePrefix: "huntaze-api-unit",
            region: "us-east-1",
            accountId: "123456789012",
            existing: { vpcId: "vpc-0123456789abcdef0", subnetIds: ["subnet-0123456789abcdef0"] },
          }),
        /at least two private subnets/,
      );
    });
  });

  describe("Database", () => {
    function databaseArgs(
      overrides: Partial<import("../../infra/components/database").DatabaseArgs> = {},
    ): import("../../infra/components/database").DatabaseArgs {
      return {
        identifier: "huntaze-api-unit",
        subnetIds: ["subnet-a", "subnet-b"],
        securityGroupId: "sg-db",
        kmsKeyArn: KEY_ARN,
        performanceInsightsKmsKeyArn: `${KEY_ARN}-pi`,
        partition: "aws",
        accountId: "123456789012",
        instanceClass: "db.t4g.micro",
        engineVersion: "17",
        allocatedStorageGb: 20,
        databaseName: "huntaze",
        masterUsername: "huntaze_admin",
        multiAz: false,
        deletionProtection: false,
        finalSnapshot: false,
        backupRetentionDays: 7,
        performanceInsightsRetentionDays: 7,
        monitoringIntervalSeconds: 60,
        slowStatementLogMs: 250,
        logRetentionInDays: 30,
        logsKmsKeyArn: KEY_ARN,
        ...overrides,
      };
    }

    it("writes an explicit max_connections to the parameter group, applied at the next reboot", async () => {
      const db = new m.database.Database("db-maxconn", databaseArgs({ maxConnections: 150 }));
      const parameters = await promiseOf(db.parameterGroup.parameters);
      assert.deepEqual(
        parameters?.find((p) => p.name === "max_connections"),
        { name: "max_connections", value: "150", applyMethod: "pending-reboot" },
      );
      assert.equal(
        await promiseOf(db.masterSecretArn),
        await promiseOf(db.instance.masterUserSecrets).then((s) => s?.[0]?.secretArn),
      );
    });

    it("names each export's log group from the identifier, with the given retention, and leaves RDSOSMetrics alone", async () => {
      const db = new m.database.Database("db-logs", databaseArgs({ logRetentionInDays: 90 }));
      const groups = await Promise.all(
        db.logGroups.map(async (g) => [
          await promiseOf(g.name),
          await promiseOf(g.retentionInDays),
        ]),
      );
      assert.deepEqual(groups, [
        ["/aws/rds/instance/huntaze-api-unit/postgresql", 90],
        ["/aws/rds/instance/huntaze-api-unit/upgrade", 90],
      ]);
      assert.deepEqual(
        typesIn(created, "db-logs").filter((t) => t === "aws:cloudwatch/logGroup:LogGroup").length,
        2,
        "the account-wide RDSOSMetrics group is not created unless asked",
      );
    });

    it("creates Enhanced Monitoring's RDSOSMetrics group, same retention, only when asked", async () => {
      const db = new m.database.Database(
        "db-osmetrics",
        databaseArgs({ identifier: "huntaze-api-owner", manageOsMetricsLogGroup: true }),
      );
      const last = db.logGroups[db.logGroups.length - 1]!;
      assert.equal(db.logGroups.length, 3);
      assert.equal(await promiseOf(last.name), "RDSOSMetrics");
      assert.equal(await promiseOf(last.retentionInDays), 30);
    });

    it("refuses an identifier RDS would reject or rename, since the log groups are named after it", () => {
      for (const identifier of ["Huntaze-API", "1db", "db--x", "db-", "x".repeat(64)]) {
        assert.throws(
          () => new m.database.Database(`db-id-${identifier.length}`, databaseArgs({ identifier })),
          new RegExp(`identifier "${identifier}" must be 1-63 lowercase letters`),
          identifier,
        );
      }
    });

    it("refuses a minor engine version: RDS applies minor versions itself", () => {
      assert.throws(
        () => new m.database.Database("db-minor", databaseArgs({ engineVersion: "17.4" })),
        /engineVersion must be a major version/,
      );
    });
  });

  describe("DatabaseSecrets", () => {
    function secretsArgs(partition: string) {
      return {
        namePrefix: "huntaze-api-unit",
        region: partition === "aws-cn" ? "cn-north-1" : "us-east-1",
        partition,
        kmsKeyArn: KEY_ARN,
        masterSecretArn: MASTER_ARN,
        subnetIds: ["subnet-a", "subnet-b"],
        securityGroupId: "sg-rotation",
        logRetentionInDays: 30,
        logsKmsKeyArn: KEY_ARN,
      };
    }

    it("deploys the rotation application pinned for the partition, with its endpoint there", async () => {
      const s = new m.secrets.DatabaseSecrets("secrets-cn", secretsArgs("aws-cn"));
      assert.match(
        await promiseOf(s.rotationApplication.applicationId),
        /^arn:aws-cn:serverlessrepo:cn-north-1:193023089310:applications\//,
      );
      assert.equal(await promiseOf(s.rotationApplication.semanticVersion), "1.1.440");
      const parameters = await promiseOf(s.rotationApplication.parameters);
      assert.equal(parameters.endpoint, "https://secretsmanager.cn-north-1.amazonaws.com.cn");
      assert.equal(parameters.vpcSubnetIds, "subnet-a,subnet-b");
      assert.equal(await promiseOf(s.appSecret.recoveryWindowInDays), 30);
    });

    it("refuses a partition where the application is not published", () => {
      assert.throws(
        () => new m.secrets.DatabaseSecrets("secrets-iso", secretsArgs("aws-iso")),
        /not published in the aws-iso partition/,
      );
    });
  });

  describe("Migrations", () => {
    function migrationArgs(migrationsDir?: string) {
      return {
        functionName: "huntaze-api-unit-migrate",
        memoryMb: 1024,
        timeoutSeconds: 300,
        logRetentionInDays: 30,
        logsKmsKeyArn: KEY_ARN,
        applicationLogLevel: "ERROR" as const,
        systemLogLevel: "WARN" as const,
        environmentKmsKeyArn: KEY_ARN,
        vpc: { subnetIds: ["subnet-a"], securityGroupIds: ["sg-app"] },
        database: { host: "db.internal", port: 5432, name: "huntaze", resourceId: "db-ABC" },
        masterSecretArn: MASTER_ARN,
        appSecretArn: APP_ARN,
        appUsername: "huntaze_app",
        secretsKmsKeyArn: KEY_ARN,
        region: "us-east-1",
        migrationsDir,
        bundle: { outRoot: path.join(scratch, "build"), cache: false },
      };
    }

    it("ships prisma/migrations and the schema engine's wasm beside the bundled handler", async () => {
      const run = new m.migrations.Migrations("mig-bundle", migrationArgs());
      const dir = run.fn.bundle.dir;
      assert.ok(fs.statSync(path.join(dir, "index.js")).size > 0);
      assert.equal(
        fs.statSync(path.join(dir, "schema_engine_bg.wasm")).size,
        fs.statSync(
          path.join(PROJECT_ROOT, "node_modules/@prisma/schema-engine-wasm/schema_engine_bg.wasm"),
        ).size,
      );
      for (const name of fs.readdirSync(path.join(PROJECT_ROOT, "prisma/migrations"))) {
        const source = path.join(PROJECT_ROOT, "prisma/migrations", name);
        const shipped = path.join(dir, "migrations", name);
        if (fs.statSync(source).isDirectory()) {
          assert.equal(
            fs.readFileSync(path.join(shipped, "migration.sql"), "utf8"),
            fs.readFileSync(path.join(source, "migration.sql"), "utf8"),
          );
        } else {
          assert.equal(fs.readFileSync(shipped, "utf8"), fs.readFileSync(source, "utf8"));
        }
      }
      assert.equal(run.checksum, migrationsChecksum());
      assert.deepEqual(await promiseOf(run.applied), []);
    });

    it("re-keys the invocation (so re-runs the function) when a migration is added, and only then", async () => {
      const copy = path.join(scratch, "migrations");
      fs.cpSync(path.join(PROJECT_ROOT, "prisma/migrations"), copy, { recursive: true });
      const relative = path.relative(PROJECT_ROOT, copy);
      const same = new m.migrations.Migrations("mig-same", migrationArgs(relative));
      assert.equal(same.checksum, migrationsChecksum(), "same files, same key");

      fs.mkdirSync(path.join(copy, "20991231000000_add_notes"));
      fs.writeFileSync(
        path.join(copy, "20991231000000_add_notes", "migration.sql"),
        'CREATE TABLE "notes" ("id" SERIAL PRIMARY KEY);\n',
      );
      const added = new m.migrations.Migrations("mig-added", migrationArgs(relative));
      assert.notEqual(added.checksum, same.checksum);
      const triggers = await promiseOf(added.invocation.triggers);
      assert.equal(triggers?.migrationsChecksum, added.checksum);
      assert.deepEqual(JSON.parse(await promiseOf(added.invocation.input)), {
        checksum: added.checksum,
      });
      assert.ok(
        fs.existsSync(
          path.join(added.fn.bundle.dir, "migrations/20991231000000_add_notes/migration.sql"),
        ),
      );

      fs.writeFileSync(
        path.join(copy, "20991231000000_add_notes", "migration.sql"),
        'CREATE TABLE "notes" ("id" BIGSERIAL PRIMARY KEY);\n',
      );
      assert.notEqual(
        migrationsChecksum(relative),
        added.checksum,
        "an edited migration re-keys too",
      );
    });

    it("refuses a timeout Lambda cannot honour", () => {
      assert.throws(
        () => new m.migrations.Migrations("mig-slow", { ...migrationArgs(), timeoutSeconds: 901 }),
        /exceeds Lambda's 900 s/,
      );
    });
  });
});
