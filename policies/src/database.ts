import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import { ParameterGroup } from "@pulumi/aws/rds/parameterGroup";
import type {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { isAwsManagedKey, isCustomerManagedKey, postgresMajor } from "./lib/aws";
import {
  configOf,
  type ExemptionConfig,
  notExempt,
  schema,
  validateUnlessExempt,
} from "./lib/config";
import { readKnown } from "./lib/known";
import { indexReferences, label, ofType, type ReferenceLookup } from "./lib/stack";

// ---------------------------------------------------------------------------------------------

export interface StorageEncryptedConfig extends ExemptionConfig {
  requireCmk: boolean;
}

const storageEncryptedSchema = schema({
  requireCmk: {
    type: "boolean",
    default: true,
    description:
      "Require a customer-managed KMS key (kmsKeyId) rather than the AWS-managed aws/rds key.",
  },
});

/** @internal */
export const rdsStorageEncrypted: ResourceValidationPolicy = {
  name: "rds-storage-encrypted",
  description:
    "RDS instances must encrypt their storage, with a customer-managed KMS key unless the config relaxes it (mirrors Checkov CKV_AWS_16, cdk-nag AwsSolutions-RDS2, AWS Config rds-storage-encrypted and awsguard rds-storage-encrypted).",
  configSchema: storageEncryptedSchema,
  validateResource: validateUnlessExempt(
    RdsInstance,
    storageEncryptedSchema,
    (db, args, report) => {
      const { requireCmk } = configOf<StorageEncryptedConfig>(storageEncryptedSchema, args);
      // Non-Aurora instances are unencrypted unless asked.
      if (db.storageEncrypted !== true) {
        report("RDS instance must encrypt its storage (storageEncrypted: true).");
      } else if (requireCmk && !isCustomerManagedKey(readKnown(() => db.kmsKeyId))) {
        report(
          `RDS instance must encrypt its storage with a customer-managed KMS key (kmsKeyId): ${
            db.kmsKeyId
              ? `${db.kmsKeyId} is an AWS-managed key`
              : "unset means the AWS-managed aws/rds key"
          }.`,
        );
      }
    },
  ),
};

// ---------------------------------------------------------------------------------------------

const publicAccessSchema = schema({});

/** @internal */
export const rdsNoPublicAccess: ResourceValidationPolicy = {
  name: "rds-no-public-access",
  description:
    "RDS instances must not be publicly accessible; only an explicit exemption with its reason in the policy config lets one through (mirrors Checkov CKV_AWS_17, cdk-nag RDSInstancePublicAccess, AWS Config rds-instance-public-access-check and awsguard rds-instance-public-access).",
  configSchema: publicAccessSchema,
  validateResource: validateUnlessExempt(RdsInstance, publicAccessSchema, (db, _args, report) => {
    // Unset means private.
    if (db.publiclyAccessible === true) {
      report(
        "RDS instance must not be publicly accessible (publiclyAccessible: true); reach it from inside the VPC (RDS Proxy or the functions' security group), or add an exemption with its reason to the policy config.",
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

export interface PerformanceInsightsConfig extends ExemptionConfig {
  requireKmsKey: boolean;
  minRetentionDays: number;
}

const performanceInsightsSchema = schema({
  requireKmsKey: {
    type: "boolean",
    default: true,
    description:
      "Require a customer-managed key for Performance Insights data (Checkov CKV_AWS_354).",
  },
  minRetentionDays: {
    type: "integer",
    minimum: 7,
    default: 7,
    description: "Shortest accepted Performance Insights retention (7 days is the free tier).",
  },
});

/** @internal */
export const rdsPerformanceInsights: ResourceValidationPolicy = {
  name: "rds-performance-insights",
  description:
    "RDS instances must enable Performance Insights with its own customer-managed KMS key (mirrors Checkov CKV_AWS_353 and CKV_AWS_354).",
  configSchema: performanceInsightsSchema,
  validateResource: validateUnlessExempt(
    RdsInstance,
    performanceInsightsSchema,
    (db, args, report) => {
      const { requireKmsKey, minRetentionDays } = configOf<PerformanceInsightsConfig>(
        performanceInsightsSchema,
        args,
      );
      if (db.performanceInsightsEnabled !== true) {
        report("RDS instance must enable Performance Insights (performanceInsightsEnabled: true).");
        return;
      }
      if (requireKmsKey && !isCustomerManagedKey(readKnown(() => db.performanceInsightsKmsKeyId))) {
        report(
          `RDS instance must encrypt Performance Insights with a customer-managed KMS key (performanceInsightsKmsKeyId): ${
            db.performanceInsightsKmsKeyId && isAwsManagedKey(db.performanceInsightsKmsKeyId)
              ? `${db.performanceInsightsKmsKeyId} is an AWS-managed key`
              : "unset means the AWS-managed aws/rds key"
          }.`,
        );
      }
      // AWS's default retention is 7 days.
      const retention = db.performanceInsightsRetentionPeriod ?? 7;
      if (retention < minRetentionDays) {
        report(
          `RDS instance must keep Performance Insights data for at least ${minRetentionDays} days (performanceInsightsRetentionPeriod is ${retention}).`,
        );
      }
    },
  ),
};

// ---------------------------------------------------------------------------------------------

const forceSslSchema = schema({});

/** RDS for PostgreSQL turned `rds.force_ssl` on by default from major version 15. */
const FORCE_SSL_DEFAULT_FROM_MAJOR = 15;

function forceSslProblem(db: PolicyResource, groupsOf: ReferenceLookup): string | undefined {
  const named = groupsOf(db, ["parameterGroupName"], () =>
    [db.props.parameterGroupName].filter((v): v is string => typeof v === "string"),
  );
  const group = named[0];
  if (group === undefined) {
    const groupName = db.props.parameterGroupName as string | undefined;
    // AWS reports the default group (`default.postgres17`) once the instance exists.
    if (groupName !== undefined && !groupName.startsWith("default.")) {
      return `must use a parameter group defined in this stack, so rds.force_ssl can be checked (parameterGroupName is ${groupName})`;
    }
  }
  const parameters = (group?.props.parameters ?? []) as Array<{ name: string; value: string }>;
  const setting = parameters.find((p) => p.name === "rds.force_ssl");
  if (setting !== undefined) {
    return String(setting.value) === "1"
      ? undefined
      : `must set rds.force_ssl to 1 (it is ${setting.value})`;
  }
  const major = postgresMajor(group?.props.family ?? db.props.engineVersion);
  // No engine version means "the current default", which is above 15.
  if (major === undefined || major >= FORCE_SSL_DEFAULT_FROM_MAJOR) return undefined;
  return `must set rds.force_ssl to 1 in its parameter group (PostgreSQL ${major} defaults to 0)`;
}

/** @internal */
export const rdsForceSsl: StackValidationPolicy = {
  name: "rds-force-ssl",
  description:
    "PostgreSQL RDS instances must refuse unencrypted connections (rds.force_ssl = 1, the default from PostgreSQL 15), checked in their parameter group (mirrors Checkov CKV2_AWS_69 and AWS Config rds-postgres-instance-encrypted-in-transit).",
  configSchema: forceSslSchema,
  validateStack: (args, report) => {
    const groupsOf = indexReferences(ofType(args.resources, ParameterGroup), (group) => [
      group.props.name,
    ]);
    const instances = ofType(args.resources, RdsInstance).filter((db) =>
      String(db.props.engine ?? "").startsWith("postgres"),
    );
    const judged = notExempt(instances, forceSslSchema, args);
    if (judged.length === 0) args.notApplicable("no PostgreSQL RDS instances");
    for (const db of judged) {
      const problem = forceSslProblem(db, groupsOf);
      if (problem) report(`${label("RDS instance", db)} ${problem}.`, db.urn);
    }
  },
};

// ---------------------------------------------------------------------------------------------

export interface DeletionProtectionConfig extends ExemptionConfig {
  requireDeletionProtection: boolean;
  requireFinalSnapshot: boolean;
}

const deletionProtectionSchema = schema({
  requireDeletionProtection: {
    type: "boolean",
    default: true,
    description: "Require deletionProtection (prod); a staging config may turn it off.",
  },
  requireFinalSnapshot: {
    type: "boolean",
    default: true,
    description:
      "Require a final snapshot on delete (skipFinalSnapshot false and finalSnapshotIdentifier set).",
  },
});

/** @internal */
export const rdsDeletionProtection: ResourceValidationPolicy = {
  name: "rds-deletion-protection",
  description:
    "RDS instances must have deletion protection and take a final snapshot where the policy config requires it, as prod's does (mirrors Checkov CKV_AWS_293, cdk-nag AwsSolutions-RDS10 and AWS Config rds-instance-deletion-protection-enabled).",
  configSchema: deletionProtectionSchema,
  validateResource: validateUnlessExempt(
    RdsInstance,
    deletionProtectionSchema,
    (db, args, report) => {
      const { requireDeletionProtection, requireFinalSnapshot } =
        configOf<DeletionProtectionConfig>(deletionProtectionSchema, args);
      if (requireDeletionProtection && db.deletionProtection !== true) {
        report("RDS instance must enable deletion protection (deletionProtection: true).");
      }
      // An identifier unknown at preview is built from another resource's output: it is set.
      const snapshotId = readKnown(() => db.finalSnapshotIdentifier);
      if (requireFinalSnapshot && (db.skipFinalSnapshot === true || !snapshotId)) {
        report(
          "RDS instance must take a final snapshot when deleted (skipFinalSnapshot: false and a finalSnapshotIdentifier).",
        );
      }
    },
  ),
};
