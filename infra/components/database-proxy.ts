import { MetricAlarm } from "@pulumi/aws/cloudwatch/metricAlarm";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { Proxy as RdsProxy } from "@pulumi/aws/rds/proxy";
import { ProxyDefaultTargetGroup } from "@pulumi/aws/rds/proxyDefaultTargetGroup";
import { ProxyTarget } from "@pulumi/aws/rds/proxyTarget";
import * as pulumi from "@pulumi/pulumi";
import {
  type AlarmDefinition,
  type AlarmTarget,
  alarmArgs,
  alarmName,
  type Evaluation,
  type MetricRef,
} from "../lib/alarms";
import { rolePolicyDocument } from "../lib/iam";
import { decryptAppSecretOnly } from "./db-secrets";

const MINUTE = 60;
/** 5 of 5 one-minute periods, as the instance's connection alarm. */
const SUSTAINED: Evaluation = { periodSeconds: MINUTE, datapointsToAlarm: 5, evaluationPeriods: 5 };

export function proxyMetric(proxyName: string, metricName: string, stat: string): MetricRef {
  return { namespace: "AWS/RDS", metricName, dimensions: { ProxyName: proxyName }, stat };
}

export interface DatabaseProxyArgs {
  /** Physical proxy name (alarm dimension, runbooks), e.g. `huntaze-api-prod`. */
  proxyName: string;
  /** The instance's identifier: the proxy's only target. */
  instanceIdentifier: pulumi.Input<string>;
  /** Private subnets in ≥ 2 AZs (the database's). */
  subnetIds: pulumi.Input<string>[];
  /** The proxy's own group: 5432 in from the functions, out to PostgreSQL only. */
  securityGroupId: pulumi.Input<string>;
  /** The application user's secret (alternating users): the proxy authenticates with it. */
  appSecretArn: pulumi.Input<string>;
  /** The secret's customer-managed key. */
  kmsKeyArn: pulumi.Input<string>;
  region: string;
  /** Share of the instance's `max_connections` the proxy may open. */
  maxConnectionsPercent: number;
  /** Database connections that share allows (alarm threshold base). */
  connectionLimit: number;
  /** Seconds a transaction waits for a pooled connection before the proxy refuses it. */
  borrowTimeoutSeconds: number;
  alarms: {
    target: AlarmTarget;
    /** `ClientConnections` threshold in percent of `connectionLimit`. */
    clientConnectionsPercent: number;
    /** `DatabaseConnectionsCurrentlySessionPinned` threshold (connections). */
    pinnedConnections: number;
  };
  /**
   * Close a client connection idle this long (s). A frozen Lambda runtime keeps its socket;
   * shorter than RDS Proxy's 30-minute default so abandoned runtimes free their slots.
   * @default 900
   */
  idleClientTimeoutSeconds?: number;
}

/**
 * RDS Proxy in front of the instance (`database.pooler: rds-proxy`): in the private subnets with
 * its own security group, TLS required from clients, authenticating clients with the application
 * secret (SCRAM, as PostgreSQL itself) and opening its own connections with it, through a role
 * that may read that one secret and decrypt it with its key via Secrets Manager only.
 *
 * Rotation: the proxy ignores `host`/`port` in the secret and reads `username`/`password`, so the
 * alternating-users rotation keeps one secret whose user alternates; when Secrets Manager moves
 * AWSCURRENT, new client connections must present the new pair, which the handlers read from the
 * same secret (refetched and retried once after a refused login). docs/CONNECTIONS.md.
 *
 * Alarms: client connections near what the proxy's share can serve, and pinned sessions (the
 * handlers pin none: any sustained pinning means a regression or a client we do not know).
 */
export class DatabaseProxy extends pulumi.ComponentResource {
  readonly proxy: RdsProxy;
  readonly targetGroup: ProxyDefaultTargetGroup;
  readonly target: ProxyTarget;
  readonly role: Role;
  readonly alarms: MetricAlarm[];
  readonly definitions: AlarmDefinition[];
  /** Physical alarm names, known before deploy. */
  readonly alarmNames: string[];
  readonly alarmArns: pulumi.Output<string>[];
  /** The host the functions connect to. */
  readonly endpoint: pulumi.Output<string>;
  /** What a function connecting through the proxy finds it by (handlers/lib/env.ts). */
  readonly clientEnvironment: { DB_PROXY_HOST: pulumi.Output<string> };

  constructor(name: string, args: DatabaseProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:DatabaseProxy", name, {}, opts);
    const parent = this;

    normalizeArgs();
    this.role = createRole();
    const policy = createRolePolicy(this.role);
    this.proxy = createProxy(this.role, policy);
    this.targetGroup = createTargetGroup(this.proxy);
    this.target = createTarget(this.proxy, this.targetGroup);
    this.endpoint = this.proxy.endpoint;
    this.clientEnvironment = { DB_PROXY_HOST: this.endpoint };
    this.definitions = proxyAlarmDefinitions(args);
    this.alarms = this.definitions.map(
      (d) =>
        new MetricAlarm(`${name}-${d.section}`, alarmArgs(args.alarms.target, d), {
          parent,
          dependsOn: [this.proxy],
        }),
    );
    this.alarmNames = this.definitions.map((d) => alarmName(args.alarms.target.naming, d));
    this.alarmArns = this.alarms.map((a) => a.arn);

    this.registerOutputs({ proxyName: args.proxyName, endpoint: this.endpoint });

    function normalizeArgs(): void {
      if (!/^[a-z](?:-?[a-z0-9])*$/.test(args.proxyName) || args.proxyName.length > 63) {
        throw new Error(
          `${name}: proxyName "${args.proxyName}" must be 1-63 lowercase letters, digits or single hyphens, starting with a letter (RDS's rule)`,
        );
      }
      if (!(args.maxConnectionsPercent >= 1 && args.maxConnectionsPercent <= 100)) {
        throw new Error(`${name}: maxConnectionsPercent must be in [1, 100]`);
      }
      if (!(args.borrowTimeoutSeconds >= 1 && args.borrowTimeoutSeconds <= 3600)) {
        throw new Error(`${name}: borrowTimeoutSeconds must be in [1, 3600]`);
      }
    }

    function createRole(): Role {
      return new Role(
        `${name}-role`,
        {
          description: `RDS Proxy ${args.proxyName}: reads the application secret`,
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: "rds.amazonaws.com" },
                Action: "sts:AssumeRole",
              },
            ],
          }),
        },
        { parent },
      );
    }

    function createRolePolicy(role: Role): RolePolicy {
      return new RolePolicy(
        `${name}-secret-access`,
        {
          role: role.id,
          policy: rolePolicyDocument(`${name}-role`, [
            {
              Sid: "ReadAppSecret",
              Effect: "Allow",
              Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
              Resource: args.appSecretArn,
            },
            decryptAppSecretOnly(args),
          ]),
        },
        { parent },
      );
    }

    function createProxy(role: Role, policy: RolePolicy): RdsProxy {
      return new RdsProxy(
        `${name}-proxy`,
        {
          name: args.proxyName,
          engineFamily: "POSTGRESQL",
          auths: [
            {
              authScheme: "SECRETS",
              secretArn: args.appSecretArn,
              iamAuth: "DISABLED",
              clientPasswordAuthType: "POSTGRES_SCRAM_SHA_256",
              description: "application user (alternating-users rotation)",
            },
          ],
          roleArn: role.arn,
          vpcSubnetIds: args.subnetIds,
          vpcSecurityGroupIds: [args.securityGroupId],
          requireTls: true,
          idleClientTimeout: args.idleClientTimeoutSeconds ?? 900,
          // Statement text in logs: off (query parameters could be personal data).
          debugLogging: false,
        },
        // The proxy must be able to read the secret as soon as it exists.
        { parent, dependsOn: [policy] },
      );
    }

    function createTargetGroup(proxy: RdsProxy): ProxyDefaultTargetGroup {
      return new ProxyDefaultTargetGroup(
        `${name}-target-group`,
        {
          dbProxyName: proxy.name,
          connectionPoolConfig: {
            maxConnectionsPercent: args.maxConnectionsPercent,
            connectionBorrowTimeout: args.borrowTimeoutSeconds,
            // No initQuery and no sessionPinningFilters: the handlers change no session state,
            // and no filter is needed to keep them multiplexed.
          },
        },
        { parent },
      );
    }

    function createTarget(proxy: RdsProxy, group: ProxyDefaultTargetGroup): ProxyTarget {
      return new ProxyTarget(
        `${name}-target`,
        {
          dbProxyName: proxy.name,
          targetGroupName: group.name,
          dbInstanceIdentifier: args.instanceIdentifier,
        },
        { parent },
      );
    }
  }
}

/** The proxy's alarms (also on the dashboard). */
export function proxyAlarmDefinitions(
  args: Pick<DatabaseProxyArgs, "proxyName" | "connectionLimit" | "alarms">,
): AlarmDefinition[] {
  const clients = Math.floor((args.connectionLimit * args.alarms.clientConnectionsPercent) / 100);
  return [
    {
      section: "rds-proxy-client-connections",
      title: "RDS Proxy: client connections",
      summary: `RDS Proxy ${args.proxyName} ClientConnections (Maximum) above ${clients}, ${args.alarms.clientConnectionsPercent} % of the ${args.connectionLimit} database connections it may open, for 5 of 5 minutes: requests are about to wait for a connection (borrow timeout, then 503).`,
      signal: { metric: proxyMetric(args.proxyName, "ClientConnections", "Maximum") },
      threshold: clients,
      comparison: "GreaterThanThreshold",
      evaluation: SUSTAINED,
      treatMissingData: "missing",
    },
    {
      section: "rds-proxy-pinned-sessions",
      title: "RDS Proxy: pinned sessions",
      summary: `RDS Proxy ${args.proxyName} DatabaseConnectionsCurrentlySessionPinned (Maximum) at or above ${args.alarms.pinnedConnections} for 5 of 5 minutes: a client changes session state, each pinned session holds a database connection and multiplexing is lost.`,
      signal: {
        metric: proxyMetric(args.proxyName, "DatabaseConnectionsCurrentlySessionPinned", "Maximum"),
      },
      threshold: args.alarms.pinnedConnections,
      comparison: "GreaterThanOrEqualToThreshold",
      evaluation: SUSTAINED,
      // The proxy publishes while it runs; a gap keeps the last state.
      treatMissingData: "missing",
    },
  ];
}
