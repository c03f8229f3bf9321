/**
 * Stack config of the data tier: the network (`huntaze-api:network`) and the database
 * (`huntaze-api:database`), with the settings derived from them (memory, max_connections,
 * the RDS Proxy's share).
 */
import {
  estimateMaxConnections,
  INSTANCE_CLASS,
  instanceClassMemoryGiB,
  isValidPerformanceInsightsRetention,
  MONITORING_INTERVALS,
  proxyConnectionLimit,
  RESERVED_CONNECTIONS,
} from "../lib/rds";
import {
  flag,
  number,
  numberIn,
  objectKey,
  oneOf,
  optional,
  refined,
  required,
  setTogether,
  stringList,
  text,
  whenClean,
  withDefault,
} from "./fields";
import * as z from "./zod.bundle";

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const CIDR_EXPECTED = "an IPv4 CIDR from /16 to /24 such as 10.40.0.0/16";

/**
 * Where the functions and the database live. Either the program creates a VPC with two private
 * subnets (no internet gateway, no NAT: AWS APIs are reached through interface endpoints), or
 * `vpcId` and `subnetIds` name a VPC and its private subnets.
 */
const network = objectKey(
  {
    vpcId: optional(
      text({
        pattern: /^vpc-[0-9a-f]{8,17}$/,
        expected: "a VPC id such as vpc-0a1b2c3d4e5f67890",
      }),
    ),
    subnetIds: optional(
      stringList({
        pattern: /^subnet-[0-9a-f]{8,17}$/,
        expected:
          "a list of at least two private subnet ids in different AZs, e.g. [subnet-0123456789abcdef0, subnet-0fedcba9876543210]",
      }),
    ),
    /** CIDR of the created VPC (ignored with an existing VPC). */
    cidrBlock: withDefault(
      refined(
        text({ pattern: CIDR, expected: CIDR_EXPECTED }),
        (cidr) => {
          const m = CIDR.exec(cidr) ?? [];
          const prefix = Number(m[5]);
          return m.slice(1, 5).every((o) => Number(o) <= 255) && prefix >= 16 && prefix <= 24;
        },
        (cidr) => `must be ${CIDR_EXPECTED}, not ${JSON.stringify(cidr)}`,
      ),
      "10.40.0.0/16",
    ),
    /**
     * Whether to create the interface endpoints (Secrets Manager, RDS API, X-Ray). Off only for
     * an existing VPC that already has them (a VPC allows one private-DNS endpoint per service)
     * or reaches AWS APIs through a NAT gateway.
     */
    createEndpoints: withDefault(flag(), true),
    /** Subnets (AZs) each endpoint gets a network interface in: 2 survives an AZ loss, 1 halves the cost. */
    endpointAzCount: withDefault(
      numberIn(
        {
          min: 1,
          max: 2,
          integer: true,
          expected: "1 or 2 (AZs each interface endpoint has a network interface in)",
        },
        [1, 2],
        () => "must be 1 or 2 (AZs each interface endpoint has a network interface in)",
      ),
      2,
    ),
  },
  'an object such as { cidrBlock: "10.40.0.0/16", endpointAzCount: 2 }',
  setTogether(
    "network",
    "vpcId",
    "subnetIds",
    "(an existing VPC and its private subnets), or neither to create a VPC",
  ),
  z.superRefine(
    (n: { vpcId?: string; subnetIds?: string[] }, ctx) => {
      if (n.vpcId !== undefined && n.subnetIds !== undefined && new Set(n.subnetIds).size < 2) {
        ctx.addIssue({
          code: "custom",
          path: ["subnetIds"],
          message:
            "must list at least two distinct private subnets in different AZs (an RDS subnet group needs two AZs)",
        });
      }
    },
    whenClean("vpcId", "subnetIds"),
  ),
);

type NetworkKeys = z.output<typeof network>;

/** `InfraConfig.network`: `existing` when the keys name a VPC, else the VPC to create. */
export function networkSettings({ vpcId, subnetIds, ...rest }: NetworkKeys) {
  return {
    /** An existing VPC and ≥ 2 private subnets in different AZs; absent → one is created. */
    ...(vpcId !== undefined && subnetIds !== undefined ? { existing: { vpcId, subnetIds } } : {}),
    ...rest,
  };
}

/** What stands between the functions and PostgreSQL. */
export const POOLERS = ["none", "rds-proxy"] as const;
export type Pooler = (typeof POOLERS)[number];

const PI_RETENTION_EXPECTED =
  "7 (the free tier), a whole number of months in days (31, 62, … 713) or 731";
const MONITORING_EXPECTED = `one of ${MONITORING_INTERVALS.join(", ")} (Enhanced Monitoring interval, seconds)`;
/** PostgreSQL role names RDS accepts for the users this program creates. */
const PG_USER = /^[a-z][a-z0-9_]{0,56}$/;
const RESERVED_USERS = ["rdsadmin", "rdsrepladmin", "rds_superuser", "postgres", "public"];

function roleName(expected: string, fallback: string) {
  return withDefault(
    refined(
      text({ pattern: PG_USER, expected }),
      (name) => !RESERVED_USERS.includes(name),
      (name) => `must not be ${JSON.stringify(name)}, a name RDS or PostgreSQL reserves`,
    ),
    fallback,
  );
}

const percent = (fallback: number) =>
  withDefault(number({ min: 1, max: 100, expected: "a percentage in [1, 100]" }), fallback);
const ms = (fallback: number) =>
  withDefault(number({ min: 1, max: 10000, expected: "milliseconds in [1, 10000]" }), fallback);
const days = (max: number, why: string, fallback: number) =>
  withDefault(
    number({ min: 1, max, integer: true, expected: `an integer in [1, ${max}] (${why})` }),
    fallback,
  );

const databaseFields = {
  /** RDS instance class, e.g. `db.t4g.medium` (required: it is a cost and capacity decision). */
  instanceClass: required(
    text({ pattern: INSTANCE_CLASS, expected: "an RDS instance class such as db.t4g.medium" }),
    "is required: the RDS instance class, e.g. db.t4g.medium — a cost and capacity decision with no default; set it with `pulumi config set --path database.instanceClass db.t4g.medium`",
  ),
  /** Memory of the class in GiB, for a class the project's table does not know. */
  memoryGiB: optional(
    number({ min: 0.5, max: 4096, expected: "the instance class's memory in GiB, e.g. 16" }),
  ),
  allocatedStorageGb: withDefault(
    number({ min: 20, max: 65536, integer: true, expected: "an integer in [20, 65536] (gp3 GiB)" }),
    20,
  ),
  /** Storage autoscaling ceiling; absent → autoscaling off. */
  maxAllocatedStorageGb: optional(
    number({
      min: 21,
      max: 65536,
      integer: true,
      expected: "an integer in [21, 65536] above allocatedStorageGb (storage autoscaling ceiling)",
    }),
  ),
  /** 7 (free), 31 × months up to 713, or 731. */
  performanceInsightsRetentionDays: withDefault(
    refined(
      number({ min: 7, max: 731, integer: true, expected: PI_RETENTION_EXPECTED }),
      isValidPerformanceInsightsRetention,
      (days) => `must be ${PI_RETENTION_EXPECTED}, not ${days}`,
    ),
    7,
  ),
  monitoringIntervalSeconds: withDefault(
    numberIn(
      { min: 1, max: 60, integer: true, expected: MONITORING_EXPECTED },
      MONITORING_INTERVALS,
      (n) => `must be ${MONITORING_EXPECTED}, not ${n}`,
    ),
    60,
  ),
  /** `max_connections` written to the parameter group; absent → RDS's memory-based default. */
  maxConnections: optional(
    number({
      min: 20,
      max: 5000,
      integer: true,
      expected: "an integer in [20, 5000] (written to the parameter group as max_connections)",
    }),
  ),
  masterUsername: roleName(
    "a PostgreSQL role name: a-z, 0-9 and _, at most 57 characters",
    "huntaze_admin",
  ),
  /** The application user; alternating-users rotation adds `<appUsername>_clone`. */
  appUsername: roleName(
    "a PostgreSQL role name: a-z, 0-9 and _, at most 57 characters (rotation adds _clone)",
    "huntaze_app",
  ),
  cpuAlarmPercent: percent(90),
  freeStorageAlarmPercent: percent(10),
  connectionsAlarmPercent: percent(90),
  freeableMemoryAlarmPercent: percent(10),
  readLatencyAlarmMs: ms(20),
  writeLatencyAlarmMs: ms(20),
  /**
   * `none` (default, also in prod): each function runtime connects to the instance, which has
   * room for prod's concurrency; no proxy cost, no extra hop. `rds-proxy`: for a stack whose
   * reserved concurrency needs more connections than the instance allows (docs/CONNECTIONS.md).
   */
  pooler: withDefault(oneOf(POOLERS), "none"),
  /** How long a request waits for a pooled connection before the proxy refuses it (s). */
  proxyBorrowTimeoutSeconds: withDefault(
    number({
      min: 1,
      max: 3600,
      integer: true,
      expected:
        "whole seconds in [1, 3600], below the API timeout (RDS Proxy's default, 120 s, outlives every request)",
    }),
    5,
  ),
  /** `ClientConnections` alarm threshold, in percent of the proxy's connection limit. */
  proxyClientConnectionsAlarmPercent: percent(90),
  /** `DatabaseConnectionsCurrentlySessionPinned` alarm threshold (connections). */
  proxyPinnedConnectionsAlarm: withDefault(
    number({ min: 1, max: 5000, integer: true, expected: "a number of connections in [1, 5000]" }),
    5,
  ),
  /** PostgreSQL major version. */
  engineVersion: withDefault(
    text({ pattern: /^1[7-9]$/, expected: 'a PostgreSQL major version, "17" or later' }),
    "17",
  ),
  multiAz: withDefault(flag(), true),
  deletionProtection: withDefault(flag(), true),
  /** Take a final snapshot when the instance is deleted. */
  finalSnapshot: withDefault(flag(), true),
  /**
   * Apply instance changes now instead of in the maintenance window: set it for the deploy of a
   * major engineVersion upgrade (the old parameter group is deleted once the instance left it).
   */
  applyImmediately: withDefault(flag(), false),
  backupRetentionDays: days(35, "0 would turn backups off", 14),
  /** `log_min_duration_statement`: statements at least this slow are logged (ms). */
  slowStatementLogMs: withDefault(
    number({ min: 10, max: 600000, integer: true, expected: "milliseconds in [10, 600000]" }),
    1000,
  ),
  databaseName: withDefault(
    text({
      pattern: /^[a-z][a-z0-9_]{0,62}$/,
      expected: "a PostgreSQL database name: a-z, 0-9 and _",
    }),
    "huntaze",
  ),
  /** Days between rotations of the application secret (alternating users). */
  appRotationDays: days(365, "days between rotations of the app secret", 30),
  /** Days between RDS's managed rotations of the master secret. */
  masterRotationDays: days(365, "days between RDS's rotations of the master secret", 7),
  /**
   * Whether this stack creates Enhanced Monitoring's account-wide `RDSOSMetrics` log group (one
   * stack per account and region; off by default, since a second stack would collide).
   */
  manageOsMetricsLogGroup: withDefault(flag(), false),
};

type DatabaseKeys = z.output<z.ZodMiniObject<typeof databaseFields>>;

/** Connections opened directly, besides the proxy: the migration function. */
export const DIRECT_FUNCTION_CONNECTIONS = 1;

/** The proxy's share of `max_connections`: what the direct clients leave. */
function proxySettings(maxConnections: number, k: DatabaseKeys) {
  const direct = DIRECT_FUNCTION_CONNECTIONS + RESERVED_CONNECTIONS;
  const maxConnectionsPercent =
    maxConnections > direct
      ? Math.max(1, Math.floor(((maxConnections - direct) * 100) / maxConnections))
      : 1;
  return {
    /**
     * Share of `max_connections` the proxy may open. Derived, not configured: what is left after
     * the direct clients (migration function, rotation, reserved slots), so the two never
     * together exceed the instance.
     */
    maxConnectionsPercent,
    /** Database connections the proxy may open (`maxConnectionsPercent` of max_connections). */
    connectionLimit: proxyConnectionLimit(maxConnections, maxConnectionsPercent),
    borrowTimeoutSeconds: k.proxyBorrowTimeoutSeconds,
    clientConnectionsAlarmPercent: k.proxyClientConnectionsAlarmPercent,
    pinnedConnectionsAlarm: k.proxyPinnedConnectionsAlarm,
  };
}

/** `InfraConfig.database`: the keys grouped as components take them, with what they imply. */
export function databaseSettings(k: DatabaseKeys) {
  const memoryGiB = k.memoryGiB ?? instanceClassMemoryGiB(k.instanceClass) ?? 0;
  const effectiveMaxConnections = k.maxConnections ?? estimateMaxConnections(memoryGiB);
  return {
    pooler: k.pooler,
    /** Present when `pooler` is `rds-proxy`. */
    proxy: k.pooler === "rds-proxy" ? proxySettings(effectiveMaxConnections, k) : undefined,
    instanceClass: k.instanceClass,
    /** Memory of the class in GiB: `database.memoryGiB`, else the project's table of classes. */
    memoryGiB,
    engineVersion: k.engineVersion,
    allocatedStorageGb: k.allocatedStorageGb,
    maxAllocatedStorageGb: k.maxAllocatedStorageGb,
    multiAz: k.multiAz,
    deletionProtection: k.deletionProtection,
    finalSnapshot: k.finalSnapshot,
    applyImmediately: k.applyImmediately,
    backupRetentionDays: k.backupRetentionDays,
    performanceInsightsRetentionDays: k.performanceInsightsRetentionDays,
    monitoringIntervalSeconds: k.monitoringIntervalSeconds,
    slowStatementLogMs: k.slowStatementLogMs,
    maxConnections: k.maxConnections,
    /** What the connection alarm compares with: `maxConnections`, or the estimate from memory. */
    effectiveMaxConnections,
    databaseName: k.databaseName,
    masterUsername: k.masterUsername,
    appUsername: k.appUsername,
    appRotationDays: k.appRotationDays,
    masterRotationDays: k.masterRotationDays,
    manageOsMetricsLogGroup: k.manageOsMetricsLogGroup,
    /** Alarm thresholds of the database (AWS's recommended alarms for RDS by default). */
    alarms: {
      cpuPercent: k.cpuAlarmPercent,
      freeStoragePercent: k.freeStorageAlarmPercent,
      connectionsPercent: k.connectionsAlarmPercent,
      freeableMemoryPercent: k.freeableMemoryAlarmPercent,
      readLatencyMs: k.readLatencyAlarmMs,
      writeLatencyMs: k.writeLatencyAlarmMs,
    },
  };
}

const database = objectKey(
  databaseFields,
  'an object such as { instanceClass: "db.t4g.medium", allocatedStorageGb: 20 }',
  z.superRefine(
    (k: DatabaseKeys, ctx) => {
      if (
        k.maxAllocatedStorageGb !== undefined &&
        k.maxAllocatedStorageGb <= k.allocatedStorageGb
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["maxAllocatedStorageGb"],
          message: `must be above database.allocatedStorageGb (${k.allocatedStorageGb}), or unset to turn storage autoscaling off`,
        });
      }
    },
    whenClean("allocatedStorageGb", "maxAllocatedStorageGb"),
  ),
  z.superRefine(
    (k: DatabaseKeys, ctx) => {
      if (k.memoryGiB === undefined && instanceClassMemoryGiB(k.instanceClass) === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["memoryGiB"],
          message: `must be set for ${k.instanceClass}: the project's table of instance classes does not know it, and the connection budget and the memory alarm derive from its memory`,
        });
      }
    },
    whenClean("instanceClass", "memoryGiB"),
  ),
  z.superRefine(
    (k: DatabaseKeys, ctx) => {
      if (k.masterUsername === k.appUsername || k.appUsername === `${k.masterUsername}_clone`) {
        ctx.addIssue({
          code: "custom",
          path: ["appUsername"],
          message:
            "must differ from database.masterUsername: the functions never use the master user",
        });
      }
    },
    whenClean("masterUsername", "appUsername"),
  ),
);

export const dataTierKeys = { network, database };
