import * as assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../infra/config";
import { estimateMaxConnections, isValidPerformanceInsightsRetention } from "../../infra/lib/rds";

const BASE = {
  "aws:region": "us-east-1",
  "huntaze-api:alertEmails": '["ops@huntaze.example"]',
};

function parse(values: Record<string, string>) {
  return parseConfig({
    project: "huntaze-api",
    stack: "prod",
    stackFile: "Pulumi.prod.yaml",
    values: { ...BASE, ...values },
  });
}

function database(fields: Record<string, unknown>): Record<string, string> {
  return { "huntaze-api:database": JSON.stringify({ instanceClass: "db.t4g.medium", ...fields }) };
}

function problemsOf(values: Record<string, string>): string[] {
  try {
    parse(values);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail("expected the config to be rejected");
}

describe("data tier stack config (infra/config.ts)", () => {
  it("requires the instance class in every stack, saying how to set it", () => {
    assert.deepEqual(problemsOf({}), [
      "huntaze-api:database.instanceClass is required: the RDS instance class, e.g. db.t4g.medium — a cost and capacity decision with no default; set it with `pulumi config set --path database.instanceClass db.t4g.medium` (Pulumi.prod.yaml)",
    ]);
  });

  it("rejects an instance class that is not db.<family>.<size>", () => {
    assert.deepEqual(problemsOf(database({ instanceClass: "t4g.medium" })), [
      'huntaze-api:database.instanceClass must be an RDS instance class such as db.t4g.medium, not "t4g.medium" (Pulumi.prod.yaml)',
    ]);
  });

  it("rejects a Performance Insights retention that is not 7, a multiple of 31 up to 713, or 731", () => {
    const message = (n: number) =>
      `huntaze-api:database.performanceInsightsRetentionDays must be 7 (the free tier), a whole number of months in days (31, 62, … 713) or 731, not ${n} (Pulumi.prod.yaml)`;
    assert.deepEqual(problemsOf(database({ performanceInsightsRetentionDays: 30 })), [message(30)]);
    assert.deepEqual(problemsOf(database({ performanceInsightsRetentionDays: 730 })), [
      message(730),
    ]);
    for (const ok of [7, 31, 93, 713, 731]) {
      assert.equal(
        parse(database({ performanceInsightsRetentionDays: ok })).database
          .performanceInsightsRetentionDays,
        ok,
      );
    }
    assert.equal(isValidPerformanceInsightsRetention(744), false);
  });

  it("rejects an Enhanced Monitoring interval RDS does not offer", () => {
    assert.deepEqual(problemsOf(database({ monitoringIntervalSeconds: 45 })), [
      "huntaze-api:database.monitoringIntervalSeconds must be one of 1, 5, 10, 15, 30, 60 (Enhanced Monitoring interval, seconds), not 45 (Pulumi.prod.yaml)",
    ]);
  });

  it("refuses a connection budget the instance class cannot hold", () => {
    assert.deepEqual(
      problemsOf({
        ...database({ instanceClass: "db.t4g.micro" }),
        "huntaze-api:api": '{"reservedConcurrency": 100}',
      }),
      [
        "huntaze-api:database.instanceClass must allow 109 connections (api.reservedConcurrency 100 + worker.reservedConcurrency 1 + 1 migration + 7 reserved), more than what db.t4g.micro allows (~84, estimated from its memory): choose a larger class, lower the reserved concurrency, or put RDS Proxy in front (database.pooler: rds-proxy) (Pulumi.prod.yaml)",
      ],
    );
    // An explicit max_connections is what the budget is checked against.
    const cfg = parse({
      ...database({ instanceClass: "db.t4g.micro", maxConnections: 120 }),
      "huntaze-api:api": '{"reservedConcurrency": 100}',
    });
    assert.equal(cfg.database.effectiveMaxConnections, 120);
  });

  it("gives a stack past the instance's connections a path through RDS Proxy, within what its share can serve", () => {
    const cfg = parse({
      ...database({ instanceClass: "db.t4g.micro", pooler: "rds-proxy" }),
      "huntaze-api:api": '{"reservedConcurrency": 100}',
    });
    assert.equal(cfg.database.pooler, "rds-proxy");
    // ~84 connections: 8 kept for the migration function and the reserved slots, 90 % (75) for the proxy.
    assert.deepEqual(cfg.database.proxy, {
      maxConnectionsPercent: 90,
      connectionLimit: 75,
      borrowTimeoutSeconds: 5,
      clientConnectionsAlarmPercent: 90,
      pinnedConnectionsAlarm: 5,
    });
    assert.deepEqual(
      problemsOf({
        ...database({ instanceClass: "db.t4g.micro", pooler: "rds-proxy" }),
        "huntaze-api:api": '{"reservedConcurrency": 200}',
      }),
      [
        "huntaze-api:database.instanceClass must let the proxy serve 201 runtimes (api.reservedConcurrency 200 + worker.reservedConcurrency 1), more than its 75 connections (90 % of ~84) × 2 runtimes each: choose a larger class or lower the reserved concurrency (Pulumi.prod.yaml)",
      ],
    );
    assert.equal(parse(database({ instanceClass: "db.t4g.micro" })).database.proxy, undefined);
    assert.match(
      problemsOf(database({ instanceClass: "db.t4g.micro", pooler: "pgbouncer" })).join("\n"),
      /database\.pooler must be one of "none", "rds-proxy", not "pgbouncer"/,
    );
  });

  it("needs the memory of an instance class the project's table does not know", () => {
    assert.deepEqual(problemsOf(database({ instanceClass: "db.x2g.large" })), [
      "huntaze-api:database.memoryGiB must be set for db.x2g.large: the project's table of instance classes does not know it, and the connection budget and the memory alarm derive from its memory (Pulumi.prod.yaml)",
    ]);
    const cfg = parse(database({ instanceClass: "db.x2g.large", memoryGiB: 32 }));
    assert.equal(cfg.database.effectiveMaxConnections, estimateMaxConnections(32));
  });

  it("keeps the application user apart from the master user and RDS's reserved names", () => {
    assert.deepEqual(problemsOf(database({ appUsername: "huntaze_admin" })), [
      "huntaze-api:database.appUsername must differ from database.masterUsername: the functions never use the master user (Pulumi.prod.yaml)",
    ]);
    assert.deepEqual(problemsOf(database({ masterUsername: "rdsadmin" })), [
      'huntaze-api:database.masterUsername must not be "rdsadmin", a name RDS or PostgreSQL reserves (Pulumi.prod.yaml)',
    ]);
  });

  it("refuses backups off and a storage ceiling below the allocation", () => {
    assert.deepEqual(problemsOf(database({ backupRetentionDays: 0 })), [
      "huntaze-api:database.backupRetentionDays must be an integer in [1, 35] (0 would turn backups off) (Pulumi.prod.yaml)",
    ]);
    assert.deepEqual(problemsOf(database({ allocatedStorageGb: 100, maxAllocatedStorageGb: 50 })), [
      "huntaze-api:database.maxAllocatedStorageGb must be above database.allocatedStorageGb (100), or unset to turn storage autoscaling off (Pulumi.prod.yaml)",
    ]);
  });

  it("takes an existing VPC only with at least two of its subnets", () => {
    const net = (fields: Record<string, unknown>) => ({
      ...database({}),
      "huntaze-api:network": JSON.stringify(fields),
    });
    assert.deepEqual(problemsOf(net({ vpcId: "vpc-0123456789abcdef0" })), [
      "huntaze-api:network.vpcId and network.subnetIds must be set together (an existing VPC and its private subnets), or neither to create a VPC (Pulumi.prod.yaml)",
    ]);
    assert.deepEqual(
      problemsOf(net({ vpcId: "vpc-0123456789abcdef0", subnetIds: ["subnet-0123456789abcdef0"] })),
      [
        "huntaze-api:network.subnetIds must list at least two distinct private subnets in different AZs (an RDS subnet group needs two AZs) (Pulumi.prod.yaml)",
      ],
    );
    const cfg = parse(
      net({
        vpcId: "vpc-0123456789abcdef0",
        subnetIds: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
        createEndpoints: false,
      }),
    );
    assert.deepEqual(cfg.network.existing, {
      vpcId: "vpc-0123456789abcdef0",
      subnetIds: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
    });
    assert.equal(cfg.network.createEndpoints, false);
  });

  it("rejects a VPC CIDR outside /16–/24 and a typo inside the network key", () => {
    assert.deepEqual(
      problemsOf({ ...database({}), "huntaze-api:network": '{"cidrBlock": "10.0.0.0/8"}' }),
      [
        'huntaze-api:network.cidrBlock must be an IPv4 CIDR from /16 to /24 such as 10.40.0.0/16, not "10.0.0.0/8" (Pulumi.prod.yaml)',
      ],
    );
    assert.deepEqual(
      problemsOf({ ...database({}), "huntaze-api:network": '{"endpointAzCounts": 1}' }),
      [
        "huntaze-api:network.endpointAzCounts is not a known field; did you mean huntaze-api:network.endpointAzCount? (Pulumi.prod.yaml)",
      ],
    );
  });

  it("defaults to the production protections when the stack only names the class", () => {
    const { database: db, network, migrations } = parse(database({}));
    assert.equal(db.multiAz, true);
    assert.equal(db.deletionProtection, true);
    assert.equal(db.finalSnapshot, true);
    assert.equal(db.backupRetentionDays, 14);
    assert.equal(db.performanceInsightsRetentionDays, 7);
    assert.equal(db.appRotationDays, 30);
    assert.equal(db.engineVersion, "17");
    assert.equal(network.createEndpoints, true);
    assert.equal(network.endpointAzCount, 2);
    assert.equal(migrations.timeoutSeconds, 300);
  });
});
