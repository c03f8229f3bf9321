import * as assert from "node:assert/strict";
import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import type { Policy } from "@pulumi/policy";
import {
  rdsAutoMinorVersionUpgrade,
  rdsBackups,
  rdsEnhancedMonitoring,
  rdsIamAuthentication,
  rdsLogExports,
  rdsMultiAz,
  rdsNonDefaultPort,
} from "../../policies/src/database-operations";
import {
  assertHasResourceViolation,
  assertNoResourceViolations,
  assertResourceNotApplicable,
  createResourceValidationArgs,
  UNKNOWN,
} from "./helpers";

/** The instance as this project declares it (prod). */
const INSTANCE = {
  identifier: "huntaze-api-prod",
  engine: "postgres",
  engineVersion: "17",
  instanceClass: "db.t4g.medium",
  port: 5433,
  backupRetentionPeriod: 14,
  iamDatabaseAuthenticationEnabled: true,
  multiAz: true,
  enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
  monitoringInterval: 60,
  monitoringRoleArn: UNKNOWN,
  autoMinorVersionUpgrade: true,
};

const dbArgs =
  (policy: Policy) =>
  (props: Record<string, unknown> = {}, config?: Record<string, unknown>) =>
    createResourceValidationArgs(RdsInstance, { ...INSTANCE, ...props }, { policy, config });

describe("#rds-backups", () => {
  const policy = rdsBackups;
  const args = dbArgs(policy);

  it("passes 14 days of backups", async () => {
    await assertNoResourceViolations(policy, args());
  });

  it("fails an unset retention, which RDS makes 1 day", async () => {
    await assertHasResourceViolation(policy, args({ backupRetentionPeriod: undefined }), {
      message:
        "RDS instance must keep automated backups for at least 7 days (backupRetentionPeriod is 1, RDS's default).",
    });
  });

  it("fails 0, which turns backups off", async () => {
    await assertHasResourceViolation(policy, args({ backupRetentionPeriod: 0 }), {
      message: "(backupRetentionPeriod is 0).",
    });
  });

  it("does not judge read replicas", async () => {
    await assertResourceNotApplicable(
      policy,
      args({ replicateSourceDb: "huntaze-api-prod", backupRetentionPeriod: 0 }),
      /read replica/,
    );
  });
});

describe("#rds-iam-authentication", () => {
  const policy = rdsIamAuthentication;
  const args = dbArgs(policy);

  it("passes PostgreSQL with IAM authentication", async () => {
    await assertNoResourceViolations(policy, args());
  });

  it("fails PostgreSQL without it (off by default)", async () => {
    await assertHasResourceViolation(
      policy,
      args({ iamDatabaseAuthenticationEnabled: undefined }),
      {
        message:
          "RDS instance must enable IAM database authentication (iamDatabaseAuthenticationEnabled: true).",
      },
    );
  });

  it("does not judge engines without IAM authentication", async () => {
    await assertResourceNotApplicable(
      policy,
      args({ engine: "sqlserver-ex", iamDatabaseAuthenticationEnabled: undefined }),
      /has no IAM database authentication/,
    );
  });
});

describe("#rds-multi-az", () => {
  const policy = rdsMultiAz;
  const args = dbArgs(policy);

  it("passes a Multi-AZ instance", async () => {
    await assertNoResourceViolations(policy, args());
  });

  it("fails a single-AZ instance where required (the default)", async () => {
    await assertHasResourceViolation(policy, args({ multiAz: undefined }), {
      message: "RDS instance must run Multi-AZ (multiAz: true).",
    });
  });

  it("lets a staging config turn it off", async () => {
    await assertNoResourceViolations(policy, args({ multiAz: false }, { requireMultiAz: false }));
  });
});

describe("#rds-log-exports", () => {
  const policy = rdsLogExports;
  const args = dbArgs(policy);

  it("passes PostgreSQL exporting postgresql and upgrade", async () => {
    await assertNoResourceViolations(policy, args());
  });

  it("fails an instance exporting nothing", async () => {
    await assertHasResourceViolation(policy, args({ enabledCloudwatchLogsExports: undefined }), {
      message:
        "RDS instance must export its logs to CloudWatch Logs (enabledCloudwatchLogsExports).",
    });
  });

  it("fails PostgreSQL without the upgrade log", async () => {
    await assertHasResourceViolation(
      policy,
      args({ enabledCloudwatchLogsExports: ["postgresql"] }),
      {
        message:
          "RDS instance must export its upgrade log to CloudWatch Logs (enabledCloudwatchLogsExports).",
      },
    );
  });
});

describe("#rds-enhanced-monitoring", () => {
  const policy = rdsEnhancedMonitoring;
  const args = dbArgs(policy);

  it("passes a 60-second interval with a role unknown at preview", async () => {
    await assertNoResourceViolations(policy, args());
  });

  it("fails the default interval 0 (off)", async () => {
    await assertHasResourceViolation(policy, args({ monitoringInterval: undefined }), {
      message:
        "RDS instance must enable Enhanced Monitoring (monitoringInterval > 0 and a monitoringRoleArn).",
    });
  });

  it("fails an interval longer than the configured one", async () => {
    await assertHasResourceViolation(policy, args({}, { maxIntervalSeconds: 30 }), {
      message:
        "RDS instance must sample Enhanced Monitoring at least every 30 seconds (monitoringInterval is 60).",
    });
  });
});

describe("#rds-auto-minor-version-upgrade", () => {
  const policy = rdsAutoMinorVersionUpgrade;
  const args = dbArgs(policy);

  it("passes true, and unset (RDS's default is true)", async () => {
    await assertNoResourceViolations(policy, args());
    await assertNoResourceViolations(policy, args({ autoMinorVersionUpgrade: undefined }));
  });

  it("fails false", async () => {
    await assertHasResourceViolation(policy, args({ autoMinorVersionUpgrade: false }), {
      message:
        "RDS instance must upgrade minor engine versions automatically (autoMinorVersionUpgrade is false).",
    });
  });
});

describe("#rds-non-default-port", () => {
  const policy = rdsNonDefaultPort;
  const args = dbArgs(policy);

  it("is advisory by default, since the project keeps 5432", () => {
    assert.equal(policy.enforcementLevel, "advisory");
  });

  it("passes a non-default port", async () => {
    await assertNoResourceViolations(policy, args());
  });

  it("reports 5432 for PostgreSQL, set or left unset", async () => {
    const message =
      "RDS instance must listen on a port other than the engine default (port is 5432).";
    await assertHasResourceViolation(policy, args({ port: 5432 }), { message });
    await assertHasResourceViolation(policy, args({ port: undefined }), { message });
  });
});
