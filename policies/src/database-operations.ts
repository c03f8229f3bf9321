import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, type ExemptionConfig, schema, validateUnlessExempt } from "./lib/config";
import { isSet, known } from "./lib/preview";

/**
 * Operational RDS policies: backups, availability, logs, monitoring, patching and access. Each
 * states what RDS does when the property is unset, since that is what an instance gets.
 */

/** Read replicas inherit backups, Multi-AZ and the port from their source. */
function isReadReplica(db: { replicateSourceDb?: unknown }): boolean {
  return isSet(db, "replicateSourceDb");
}

// ---------------------------------------------------------------------------------------------

export interface BackupsConfig extends ExemptionConfig {
  minRetentionDays: number;
}

const backupsSchema = schema({
  minRetentionDays: {
    type: "integer",
    minimum: 1,
    maximum: 35,
    default: 7,
    description:
      "Shortest automated-backup retention accepted, in days (awsguard and AWS Config use 7; RDS allows up to 35).",
  },
});

/** @internal */
export const rdsBackups: ResourceValidationPolicy = {
  name: "rds-backups",
  description:
    "RDS instances must keep automated backups for at least the configured days (backupRetentionPeriod; RDS's API default is 1 day, 0 turns backups off) (mirrors Checkov CKV_AWS_133, cdk-nag AwsSolutions-RDS13 and RDSInstanceBackupEnabled, AWS Config db-instance-backup-enabled, awsguard rds-instance-backup-enabled).",
  configSchema: backupsSchema,
  validateResource: validateUnlessExempt(RdsInstance, backupsSchema, (db, args, report) => {
    const { minRetentionDays } = configOf<BackupsConfig>(backupsSchema, args);
    if (isReadReplica(db)) args.notApplicable("read replica");
    if (isSet(db, "backupRetentionPeriod") && known(() => db.backupRetentionPeriod) === undefined) {
      return; // Taken from a value unknown until the update.
    }
    const days = known(() => db.backupRetentionPeriod) ?? 1;
    if (days < minRetentionDays) {
      report(
        `RDS instance must keep automated backups for at least ${minRetentionDays} days (backupRetentionPeriod is ${days}${isSet(db, "backupRetentionPeriod") ? "" : ", RDS's default"}).`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

/** Engines that support IAM database authentication (RDS User Guide, "IAM database authentication"). */
const IAM_AUTH_ENGINES = /^(postgres|mysql|mariadb|aurora-postgresql|aurora-mysql)/;

const iamAuthSchema = schema({});

/** @internal */
export const rdsIamAuthentication: ResourceValidationPolicy = {
  name: "rds-iam-authentication",
  description:
    "PostgreSQL, MySQL and MariaDB RDS instances must enable IAM database authentication (iamDatabaseAuthenticationEnabled; off by default), so people and tools can connect with short-lived IAM tokens instead of shared passwords (mirrors Checkov CKV_AWS_161, cdk-nag AwsSolutions-RDS6 and AWS Config rds-instance-iam-authentication-enabled).",
  configSchema: iamAuthSchema,
  validateResource: validateUnlessExempt(RdsInstance, iamAuthSchema, (db, args, report) => {
    const engine = known(() => db.engine);
    if (typeof engine !== "string" || !IAM_AUTH_ENGINES.test(engine)) {
      args.notApplicable(`engine ${String(engine)} has no IAM database authentication`);
    }
    if (known(() => db.iamDatabaseAuthenticationEnabled) !== true) {
      report(
        "RDS instance must enable IAM database authentication (iamDatabaseAuthenticationEnabled: true).",
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

export interface MultiAzConfig extends ExemptionConfig {
  requireMultiAz: boolean;
}

const multiAzSchema = schema({
  requireMultiAz: {
    type: "boolean",
    default: true,
    description:
      "Require a standby in a second Availability Zone (prod); a staging config may turn it off.",
  },
});

/** @internal */
export const rdsMultiAz: ResourceValidationPolicy = {
  name: "rds-multi-az",
  description:
    "RDS instances must run Multi-AZ where the policy config requires it, as prod's does (multiAz; off by default) (mirrors Checkov CKV_AWS_157, cdk-nag AwsSolutions-RDS3 and RDSMultiAZSupport, AWS Config rds-multi-az-support, awsguard rds-instance-multi-az-enabled).",
  configSchema: multiAzSchema,
  validateResource: validateUnlessExempt(RdsInstance, multiAzSchema, (db, args, report) => {
    const { requireMultiAz } = configOf<MultiAzConfig>(multiAzSchema, args);
    if (isReadReplica(db)) args.notApplicable("read replica");
    if (requireMultiAz && known(() => db.multiAz) !== true) {
      report("RDS instance must run Multi-AZ (multiAz: true).");
    }
  }),
};

// ---------------------------------------------------------------------------------------------

export interface LogExportsConfig extends ExemptionConfig {
  requiredExports: Record<string, string[]>;
}

const logExportsSchema = schema({
  requiredExports: {
    type: "object",
    additionalProperties: { type: "array", items: { type: "string" } },
    default: {
      postgres: ["postgresql", "upgrade"],
      mysql: ["audit", "error", "general", "slowquery"],
      mariadb: ["audit", "error", "general", "slowquery"],
    },
    description:
      "Log exports each engine must publish to CloudWatch Logs (cdk-nag RDSLoggingEnabled's lists); an engine not listed must export at least one log.",
  },
});

/** @internal */
export const rdsLogExports: ResourceValidationPolicy = {
  name: "rds-log-exports",
  description:
    "RDS instances must export their logs to CloudWatch Logs (enabledCloudwatchLogsExports; none by default), for PostgreSQL both postgresql and upgrade (mirrors Checkov CKV_AWS_129, cdk-nag RDSLoggingEnabled and AWS Config rds-logging-enabled).",
  configSchema: logExportsSchema,
  validateResource: validateUnlessExempt(RdsInstance, logExportsSchema, (db, args, report) => {
    const { requiredExports } = configOf<LogExportsConfig>(logExportsSchema, args);
    if (!isSet(db, "enabledCloudwatchLogsExports")) {
      report(
        "RDS instance must export its logs to CloudWatch Logs (enabledCloudwatchLogsExports).",
      );
      return;
    }
    const exports = known(() => [...(db.enabledCloudwatchLogsExports ?? [])]);
    const engine = known(() => db.engine);
    const required = typeof engine === "string" ? requiredExports[engine] : undefined;
    if (exports === undefined || required === undefined) return;
    const missing = required.filter((e) => !exports.includes(e));
    if (missing.length > 0) {
      report(
        `RDS instance must export its ${missing.join(" and ")} log${missing.length > 1 ? "s" : ""} to CloudWatch Logs (enabledCloudwatchLogsExports).`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

export interface EnhancedMonitoringConfig extends ExemptionConfig {
  maxIntervalSeconds: number;
}

const monitoringSchema = schema({
  maxIntervalSeconds: {
    type: "integer",
    enum: [1, 5, 10, 15, 30, 60],
    default: 60,
    description: "Longest accepted Enhanced Monitoring interval, in seconds.",
  },
});

/** @internal */
export const rdsEnhancedMonitoring: ResourceValidationPolicy = {
  name: "rds-enhanced-monitoring",
  description:
    "RDS instances must enable Enhanced Monitoring (monitoringInterval > 0, at most the configured seconds, with a monitoringRoleArn; 0, the default, turns it off) for OS-level metrics CloudWatch's hypervisor metrics miss (mirrors Checkov CKV_AWS_118, cdk-nag RDSEnhancedMonitoringEnabled and AWS Config rds-enhanced-monitoring-enabled).",
  configSchema: monitoringSchema,
  validateResource: validateUnlessExempt(RdsInstance, monitoringSchema, (db, args, report) => {
    const { maxIntervalSeconds } = configOf<EnhancedMonitoringConfig>(monitoringSchema, args);
    const interval =
      known(() => db.monitoringInterval) ??
      (isSet(db, "monitoringInterval") ? maxIntervalSeconds : 0);
    if (interval <= 0) {
      report(
        "RDS instance must enable Enhanced Monitoring (monitoringInterval > 0 and a monitoringRoleArn).",
      );
      return;
    }
    if (interval > maxIntervalSeconds) {
      report(
        `RDS instance must sample Enhanced Monitoring at least every ${maxIntervalSeconds} seconds (monitoringInterval is ${interval}).`,
      );
    }
    if (!isSet(db, "monitoringRoleArn")) {
      report(
        "RDS instance must give Enhanced Monitoring a role to publish with (monitoringRoleArn).",
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

const minorUpgradeSchema = schema({});

/** @internal */
export const rdsAutoMinorVersionUpgrade: ResourceValidationPolicy = {
  name: "rds-auto-minor-version-upgrade",
  description:
    "RDS instances must take minor engine upgrades automatically in their maintenance window (autoMinorVersionUpgrade; on by default, so only false fails), which is how security fixes arrive (mirrors Checkov CKV_AWS_226, cdk-nag RDSAutomaticMinorVersionUpgradeEnabled and AWS Config rds-automatic-minor-version-upgrade-enabled).",
  configSchema: minorUpgradeSchema,
  validateResource: validateUnlessExempt(RdsInstance, minorUpgradeSchema, (db, _args, report) => {
    if (known(() => db.autoMinorVersionUpgrade) === false) {
      report(
        "RDS instance must upgrade minor engine versions automatically (autoMinorVersionUpgrade is false).",
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

/** Each engine family's default port: what an unset `port` means. */
const DEFAULT_PORTS: Array<[RegExp, number]> = [
  [/^(aurora-)?postgres/, 5432],
  [/^(aurora-)?mysql|^mariadb|^aurora$/, 3306],
  [/^oracle/, 1521],
  [/^sqlserver/, 1433],
  [/^db2/, 50000],
];

const portSchema = schema({});

function defaultPort(args: ResourceValidationArgs, engine: unknown): number | undefined {
  if (typeof engine !== "string") args.notApplicable("engine unknown at preview");
  return DEFAULT_PORTS.find(([pattern]) => pattern.test(String(engine)))?.[1];
}

/** @internal */
export const rdsNonDefaultPort: ResourceValidationPolicy = {
  name: "rds-non-default-port",
  description:
    "RDS instances should listen on a port other than their engine's default (mirrors cdk-nag AwsSolutions-RDS11); advisory because this project keeps PostgreSQL on 5432 because the instance is private (no public access, security group open only to its functions, TLS required); a different port hides nothing from a scan inside the VPC and would change every client and rule.",
  enforcementLevel: "advisory",
  configSchema: portSchema,
  validateResource: validateUnlessExempt(RdsInstance, portSchema, (db, args, report) => {
    const standard = defaultPort(
      args,
      known(() => db.engine),
    );
    if (standard === undefined) args.notApplicable("engine without a known default port");
    const port = known(() => db.port) ?? (isSet(db, "port") ? undefined : standard);
    if (port === standard) {
      report(
        `RDS instance must listen on a port other than the engine default (port is ${standard}).`,
      );
    }
  }),
};
