import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import { ParameterGroup } from "@pulumi/aws/rds/parameterGroup";
import {
  rdsDeletionProtection,
  rdsForceSsl,
  rdsNoPublicAccess,
  rdsPerformanceInsights,
  rdsStorageEncrypted,
} from "../../policies/src/database";
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

const CMK = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

function instance(
  props: Record<string, unknown> = {},
  config?: Record<string, unknown>,
  name = "db",
) {
  return createResourceValidationArgs(
    RdsInstance,
    {
      engine: "postgres",
      engineVersion: "17.4",
      instanceClass: "db.t4g.micro",
      storageEncrypted: true,
      kmsKeyId: CMK,
      publiclyAccessible: false,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: CMK,
      performanceInsightsRetentionPeriod: 7,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "huntaze-api-prod-final",
      manageMasterUserPassword: true,
      ...props,
    },
    { config, name },
  );
}

describe("#rds-storage-encrypted", () => {
  const policy = rdsStorageEncrypted;

  it("passes storage encrypted with a customer-managed key", async () => {
    await assertNoResourceViolations(policy, instance());
  });

  it("passes a kmsKeyId unknown at preview (a key this deploy creates; no resource creates an AWS-managed key)", async () => {
    await assertNoResourceViolations(policy, instance({ kmsKeyId: UNKNOWN }));
  });

  it("fails unencrypted storage, the default for non-Aurora instances", async () => {
    await assertHasResourceViolation(policy, instance({ storageEncrypted: undefined }), {
      message: "RDS instance must encrypt its storage (storageEncrypted: true).",
    });
  });

  it("fails storage on the AWS-managed aws/rds key unless the config relaxes it", async () => {
    await assertHasResourceViolation(policy, instance({ kmsKeyId: undefined }), {
      message:
        "RDS instance must encrypt its storage with a customer-managed KMS key (kmsKeyId): unset means the AWS-managed aws/rds key.",
    });
    await assertNoResourceViolations(
      policy,
      instance({ kmsKeyId: undefined }, { requireCmk: false }),
    );
  });
});

describe("#rds-no-public-access", () => {
  const policy = rdsNoPublicAccess;

  it("passes a private instance, and one that leaves the default (private)", async () => {
    await assertNoResourceViolations(policy, instance());
    await assertNoResourceViolations(policy, instance({ publiclyAccessible: undefined }));
  });

  it("fails a publicly accessible instance", async () => {
    await assertHasResourceViolation(policy, instance({ publiclyAccessible: true }), {
      message: "RDS instance must not be publicly accessible (publiclyAccessible: true);",
    });
  });

  it("stands down only for an instance exempted in the config, with its reason", async () => {
    const exemptions = [
      {
        resource: "db",
        reason: "vendor replication agent connects from its own network",
        expires: "2027-06-30",
      },
    ];
    await assertResourceNotApplicable(
      policy,
      instance({ publiclyAccessible: true }, { exemptions }),
      /vendor replication agent/,
    );
    await assertHasResourceViolation(
      policy,
      instance({ publiclyAccessible: true }, { exemptions }, "other-db"),
      {
        message: "must not be publicly accessible",
      },
    );
  });
});

describe("#rds-performance-insights", () => {
  const policy = rdsPerformanceInsights;

  it("passes Performance Insights on with its own customer-managed key", async () => {
    await assertNoResourceViolations(policy, instance());
  });

  it("passes a performanceInsightsKmsKeyId unknown at preview (a key this deploy creates; no resource creates an AWS-managed key)", async () => {
    await assertNoResourceViolations(policy, instance({ performanceInsightsKmsKeyId: UNKNOWN }));
  });

  it("fails an instance without Performance Insights", async () => {
    await assertHasResourceViolation(policy, instance({ performanceInsightsEnabled: undefined }), {
      message: "RDS instance must enable Performance Insights (performanceInsightsEnabled: true).",
    });
  });

  it("fails Performance Insights on the AWS-managed key", async () => {
    await assertHasResourceViolation(policy, instance({ performanceInsightsKmsKeyId: undefined }), {
      message: "(performanceInsightsKmsKeyId): unset means the AWS-managed aws/rds key.",
    });
  });

  it("applies the configured minimum retention", async () => {
    await assertHasResourceViolation(policy, instance({}, { minRetentionDays: 31 }), {
      message:
        "RDS instance must keep Performance Insights data for at least 31 days (performanceInsightsRetentionPeriod is 7).",
    });
  });
});

describe("#rds-force-ssl", () => {
  const policy = rdsForceSsl;
  const group = (parameters: Array<{ name: string; value: string }>, family = "postgres17") =>
    res(ParameterGroup, "db-params", { name: "huntaze-api-prod-pg17", family, parameters });
  const db = (
    props: Record<string, unknown>,
    deps: Record<string, ReturnType<typeof res>[]> = {},
  ) => res(RdsInstance, "db", { engine: "postgres", engineVersion: "17.4", ...props }, deps);

  it("passes an in-stack parameter group with rds.force_ssl = 1, its name unknown", async () => {
    const g = group([{ name: "rds.force_ssl", value: "1" }]);
    await assertNoStackViolations(
      policy,
      createStackValidationArgs([
        g,
        db({ parameterGroupName: UNKNOWN }, { parameterGroupName: [g] }),
      ]),
    );
  });

  it("passes PostgreSQL 17 on its default group, where AWS turns force_ssl on", async () => {
    await assertNoStackViolations(policy, createStackValidationArgs([db({})]));
    await assertNoStackViolations(
      policy,
      createStackValidationArgs([db({ parameterGroupName: "default.postgres17" })]),
    );
  });

  it("fails a parameter group that turns force_ssl off", async () => {
    const g = group([{ name: "rds.force_ssl", value: "0" }]);
    await assertHasStackViolation(
      policy,
      createStackValidationArgs([g, db({ parameterGroupName: "huntaze-api-prod-pg17" })]),
      {
        message: 'RDS instance "db" must set rds.force_ssl to 1 (it is 0).',
      },
    );
  });

  it("fails PostgreSQL 14, whose default is off, without the parameter", async () => {
    const g = group([], "postgres14");
    await assertHasStackViolation(
      policy,
      createStackValidationArgs([
        g,
        db({ engineVersion: "14.12", parameterGroupName: UNKNOWN }, { parameterGroupName: [g] }),
      ]),
      {
        message:
          "must set rds.force_ssl to 1 in its parameter group (PostgreSQL 14 defaults to 0).",
      },
    );
  });

  it("fails a parameter group outside the stack, which cannot be checked", async () => {
    await assertHasStackViolation(
      policy,
      createStackValidationArgs([db({ parameterGroupName: "shared-pg" })]),
      {
        message:
          "must use a parameter group defined in this stack, so rds.force_ssl can be checked (parameterGroupName is shared-pg).",
      },
    );
  });

  it("does not apply to MySQL", async () => {
    await assertStackNotApplicable(
      policy,
      createStackValidationArgs([db({ engine: "mysql" })]),
      /no PostgreSQL/,
    );
  });
});

describe("#rds-deletion-protection", () => {
  const policy = rdsDeletionProtection;

  it("passes an instance with deletion protection and a final snapshot", async () => {
    await assertNoResourceViolations(policy, instance());
  });

  it("fails an instance without deletion protection", async () => {
    await assertHasResourceViolation(policy, instance({ deletionProtection: undefined }), {
      message: "RDS instance must enable deletion protection (deletionProtection: true).",
    });
  });

  it("fails an instance that skips its final snapshot", async () => {
    await assertHasResourceViolation(policy, instance({ skipFinalSnapshot: true }), {
      message:
        "RDS instance must take a final snapshot when deleted (skipFinalSnapshot: false and a finalSnapshotIdentifier).",
    });
    await assertHasResourceViolation(policy, instance({ finalSnapshotIdentifier: undefined }), {
      message: "must take a final snapshot",
    });
  });

  it("lets a staging config waive both", async () => {
    const config = { requireDeletionProtection: false, requireFinalSnapshot: false };
    await assertNoResourceViolations(
      policy,
      instance({ deletionProtection: false, skipFinalSnapshot: true }, config),
    );
  });
});
