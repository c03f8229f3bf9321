import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicyAttachment } from "@pulumi/aws/iam/rolePolicyAttachment";
import { Instance } from "@pulumi/aws/rds/instance";
import { ParameterGroup } from "@pulumi/aws/rds/parameterGroup";
import { SubnetGroup } from "@pulumi/aws/rds/subnetGroup";
import * as pulumi from "@pulumi/pulumi";
// Log group names are defined once, with the policy pack that checks them.
import { RDS_OS_METRICS_LOG_GROUP, rdsLogGroupName } from "../../policies/src/lib/aws";
import { POSTGRES_PORT } from "./network";

/** CloudWatch Logs exports of RDS for PostgreSQL: server log and major-version upgrade log. */
export const LOG_EXPORTS = ["postgresql", "upgrade"] as const;

/** RDS's rule for instance identifiers: a letter, then letters, digits or single hyphens. */
const IDENTIFIER = /^[a-z](?:-?[a-z0-9])*$/;

export interface DatabaseArgs {
  /**
   * Physical instance identifier (alarm dimensions, runbooks, log group names), e.g.
   * `huntaze-api-prod`: explicit, so the exports' log groups can be named before the instance exists.
   */
  identifier: string;
  /** Private subnets in ≥ 2 AZs. */
  subnetIds: pulumi.Input<string>[];
  /** The group that admits only the functions and the rotation function on 5432. */
  securityGroupId: pulumi.Input<string>;
  /** Customer-managed key of the storage, its snapshots and the RDS-managed master secret. */
  kmsKeyArn: pulumi.Input<string>;
  /** Performance Insights' own customer-managed key (its data is query text and waits). */
  performanceInsightsKmsKeyArn: pulumi.Input<string>;
  partition: string;
  accountId: pulumi.Input<string>;
  instanceClass: string;
  /** PostgreSQL major version, e.g. `"17"`: RDS applies minor versions in the maintenance window. */
  engineVersion: string;
  allocatedStorageGb: number;
  /** Storage autoscaling ceiling. @default none (autoscaling off) */
  maxAllocatedStorageGb?: number;
  databaseName: string;
  /** Master user; its password is generated, stored and rotated by RDS in Secrets Manager. */
  masterUsername: string;
  multiAz: boolean;
  deletionProtection: boolean;
  /** Take a final snapshot (`<parameter group name>-final`, unique per instance) on delete. */
  finalSnapshot: boolean;
  /**
   * Apply changes immediately instead of in the maintenance window; needed by the deploy of a
   * major engineVersion upgrade. @default false
   */
  applyImmediately?: boolean;
  backupRetentionDays: number;
  /** 7 (free), 31 × months up to 713, or 731. */
  performanceInsightsRetentionDays: number;
  /** Enhanced Monitoring interval in seconds (1, 5, 10, 15, 30 or 60). */
  monitoringIntervalSeconds: number;
  /** `log_min_duration_statement` in milliseconds. */
  slowStatementLogMs: number;
  /** `max_connections`. @default RDS's memory-based formula */
  maxConnections?: number;
  /** Retention of the exports' log groups (and of `RDSOSMetrics` when managed here), in days. */
  logRetentionInDays: number;
  /**
   * Customer-managed key encrypting the log groups of the log exports; its key policy must let
   * `logs.<region>.amazonaws.com` use it for log groups.
   */
  logsKmsKeyArn: pulumi.Input<string>;
  /**
   * Create Enhanced Monitoring's account-wide `RDSOSMetrics` log group in this stack, with the same
   * retention (kept when the stack is destroyed: other instances write to it). Only one stack per
   * account and region may, and only before any instance has created the group, or the deploy
   * fails with "log group already exists" (import it then; docs/PRODUCTION_HARDENING.md).
   * @default false
   */
  manageOsMetricsLogGroup?: boolean;
  /** UTC. @default "05:00-05:30" (after the 03:00 worker run) */
  backupWindow?: string;
  /** UTC, after the backup window. @default "sun:06:00-sun:06:30" */
  maintenanceWindow?: string;
}

/**
 * RDS for PostgreSQL, private and encrypted: storage, snapshots and the master secret on a
 * customer-managed key; TLS required (`rds.force_ssl = 1`) with slow statements logged;
 * Performance Insights on its own key; Enhanced Monitoring; `postgresql` and `upgrade` logs
 * exported to CloudWatch; automated backups; and, where the stack asks (prod), Multi-AZ,
 * deletion protection and a final snapshot.
 *
 * RDS publishes each export to `/aws/rds/instance/<identifier>/<export>` and, when that group does
 * not exist, creates it without retention: the logs would never expire. The component creates both
 * groups first, with the stack's retention, and the instance depends on them, so RDS finds them.
 *
 * The master password never exists in Pulumi: `manageMasterUserPassword` has RDS generate it
 * into a Secrets Manager secret on the CMK and rotate it (managed rotation, no Lambda).
 *
 * Performance Insights' console moved into CloudWatch Database Insights in 2026; the API and
 * these settings are unchanged, and `databaseInsightsMode: "standard"` keeps the same
 * retention and price.
 */
export class Database extends pulumi.ComponentResource {
  readonly instance: Instance;
  readonly subnetGroup: SubnetGroup;
  readonly parameterGroup: ParameterGroup;
  readonly monitoringRole: Role;
  /** One group per log export, in `LOG_EXPORTS` order, then `RDSOSMetrics` when managed here. */
  readonly logGroups: LogGroup[];
  readonly identifier: string;
  /** The RDS-managed master secret's ARN. */
  readonly masterSecretArn: pulumi.Output<string>;
  readonly address: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:Database", name, {}, opts);
    const parent = this;

    const family = normalizeFamily();
    this.identifier = normalizeIdentifier();
    this.logGroups = [...createExportLogGroups(), ...createOsMetricsLogGroup()];
    this.subnetGroup = createSubnetGroup();
    this.parameterGroup = createParameterGroup();
    this.monitoringRole = createMonitoringRole();
    const attachment = attachMonitoringPolicy(this.monitoringRole);
    this.instance = createInstance(
      this.subnetGroup,
      this.parameterGroup,
      this.monitoringRole,
      attachment,
      this.logGroups,
    );
    this.masterSecretArn = this.instance.masterUserSecrets.apply((secrets) => {
      const arn = secrets?.[0]?.secretArn;
      if (!arn) throw new Error(`${name}: RDS returned no managed master secret`);
      return arn;
    });
    this.address = this.instance.address;
    this.port = this.instance.port;
    this.endpoint = this.instance.endpoint;

    this.registerOutputs({
      identifier: this.identifier,
      endpoint: this.endpoint,
      masterSecretArn: this.masterSecretArn,
    });

    function normalizeFamily(): string {
      if (!/^\d+$/.test(args.engineVersion)) {
        throw new Error(
          `${name}: engineVersion must be a major version such as "17" (RDS applies minor versions itself)`,
        );
      }
      return `postgres${args.engineVersion}`;
    }

    function normalizeIdentifier(): string {
      const id = args.identifier;
      if (id.length > 63 || !IDENTIFIER.test(id)) {
        throw new Error(
          `${name}: identifier "${id}" must be 1-63 lowercase letters, digits or single hyphens, starting with a letter and not ending with a hyphen (RDS's rule; its log groups are named after it)`,
        );
      }
      return id;
    }

    function createExportLogGroups(): LogGroup[] {
      return LOG_EXPORTS.map(
        (logExport) =>
          new LogGroup(
            `${name}-${logExport}-log-group`,
            {
              name: rdsLogGroupName(args.identifier, logExport),
              retentionInDays: args.logRetentionInDays,
              kmsKeyId: args.logsKmsKeyArn,
            },
            { parent },
          ),
      );
    }

    function createOsMetricsLogGroup(): LogGroup[] {
      if (args.manageOsMetricsLogGroup !== true) return [];
      return [
        // Not on this stack's key: the group outlives the stack (retainOnDelete) and serves every
        // instance of the account, which could not write once the key is deleted. Encrypting it
        // takes an account-level key; until then it needs a cloudwatch-log-group-cmk exemption.
        new LogGroup(
          `${name}-os-metrics-log-group`,
          { name: RDS_OS_METRICS_LOG_GROUP, retentionInDays: args.logRetentionInDays },
          // Every instance of the account and region writes here: destroying this stack must not
          // delete it (RDS would recreate it without retention).
          { parent, retainOnDelete: true },
        ),
      ];
    }

    function createSubnetGroup(): SubnetGroup {
      return new SubnetGroup(
        `${name}-subnets`,
        {
          name: args.identifier,
          description: `${args.identifier}: private subnets`,
          subnetIds: args.subnetIds,
        },
        { parent },
      );
    }

    function createParameterGroup(): ParameterGroup {
      const parameters = [
        // Refuse unencrypted connections (the default from PostgreSQL 15, made explicit so a
        // policy and a reader can see it).
        { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
        {
          name: "log_min_duration_statement",
          value: String(args.slowStatementLogMs),
          applyMethod: "immediate",
        },
      ];
      if (args.maxConnections !== undefined) {
        parameters.push({
          name: "max_connections",
          value: String(args.maxConnections),
          // Static: applied at the next reboot.
          applyMethod: "pending-reboot",
        });
      }
      return new ParameterGroup(
        `${name}-params`,
        {
          // A prefix, not a name: \`family\` forces replacement (a major engineVersion change),
          // and Pulumi creates the replacement before deleting the old group, so a fixed name
          // would fail with DBParameterGroupAlreadyExists. The family in the prefix says which
          // major version a group is for when both exist during the upgrade.
          namePrefix: `${args.identifier}-${family}-`,
          family,
          description: `${args.identifier}: TLS only, slow statements logged`,
          parameters,
        },
        { parent },
      );
    }

    function createMonitoringRole(): Role {
      return new Role(
        `${name}-monitoring-role`,
        {
          description: `Enhanced Monitoring of ${args.identifier}`,
          assumeRolePolicy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: "monitoring.rds.amazonaws.com" },
                Action: "sts:AssumeRole",
                // Only RDS acting for this account may use the role (confused deputy).
                Condition: { StringEquals: { "aws:SourceAccount": args.accountId } },
              },
            ],
          }),
        },
        { parent },
      );
    }

    function attachMonitoringPolicy(role: Role): RolePolicyAttachment {
      return new RolePolicyAttachment(
        `${name}-monitoring-policy`,
        {
          role: role.name,
          // AWS's managed policy: CloudWatch Logs writes to the RDSOSMetrics group only.
          policyArn: `arn:${args.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
        },
        { parent },
      );
    }

    function createInstance(
      subnetGroup: SubnetGroup,
      parameterGroup: ParameterGroup,
      monitoringRole: Role,
      attachment: RolePolicyAttachment,
      logGroups: LogGroup[],
    ): Instance {
      return new Instance(
        `${name}-instance`,
        {
          identifier: args.identifier,
          engine: "postgres",
          engineVersion: args.engineVersion,
          autoMinorVersionUpgrade: true,
          // Lets operators connect with short-lived IAM tokens (rds-db:connect) instead of a
          // shared password; the functions keep their rotated Secrets Manager users.
          iamDatabaseAuthenticationEnabled: true,
          instanceClass: args.instanceClass,
          dbName: args.databaseName,
          port: POSTGRES_PORT,

          username: args.masterUsername,
          manageMasterUserPassword: true,
          masterUserSecretKmsKeyId: args.kmsKeyArn,

          allocatedStorage: args.allocatedStorageGb,
          maxAllocatedStorage: args.maxAllocatedStorageGb,
          storageType: "gp3",
          storageEncrypted: true,
          kmsKeyId: args.kmsKeyArn,

          dbSubnetGroupName: subnetGroup.name,
          vpcSecurityGroupIds: [args.securityGroupId],
          publiclyAccessible: false,
          multiAz: args.multiAz,
          parameterGroupName: parameterGroup.name,
          caCertIdentifier: "rds-ca-rsa2048-g1",

          performanceInsightsEnabled: true,
          performanceInsightsKmsKeyId: args.performanceInsightsKmsKeyArn,
          performanceInsightsRetentionPeriod: args.performanceInsightsRetentionDays,
          databaseInsightsMode: "standard",
          monitoringInterval: args.monitoringIntervalSeconds,
          monitoringRoleArn: monitoringRole.arn,
          enabledCloudwatchLogsExports: [...LOG_EXPORTS],

          backupRetentionPeriod: args.backupRetentionDays,
          backupWindow: args.backupWindow ?? "05:00-05:30",
          maintenanceWindow: args.maintenanceWindow ?? "sun:06:00-sun:06:30",
          copyTagsToSnapshot: true,
          deleteAutomatedBackups: !args.deletionProtection,
          deletionProtection: args.deletionProtection,
          // RDS refuses a major engineVersion change without it. Always on: RDS never upgrades
          // a major version by itself; only a reviewed change of database.engineVersion in the
          // stack config does, and the parameter group of the new family comes with it.
          allowMajorVersionUpgrade: true,
          skipFinalSnapshot: !args.finalSnapshot,
          // Unique per instance and major version (the parameter group's generated name): a
          // fixed `<identifier>-final` makes the second delete of a re-created stack fail with
          // DBSnapshotAlreadyExists and leaves the instance behind.
          finalSnapshotIdentifier: args.finalSnapshot
            ? parameterGroup.name.apply((group) => `${group}-final`)
            : undefined,
          // Changes wait for the maintenance window unless the stack config asks otherwise
          // (database.applyImmediately, needed for the deploy of a major version upgrade: the
          // old parameter group can only be deleted once the instance has left it).
          applyImmediately: args.applyImmediately ?? false,
        },
        // Enhanced Monitoring fails to start if the role cannot yet publish; the log groups must
        // exist before RDS first publishes, or it creates its own that never expire.
        { parent, dependsOn: [attachment, ...logGroups] },
      );
    }
  }
}
