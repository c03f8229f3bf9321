/**
 * The program's one typed view of stack config. Everything is read and validated here, before
 * any resource is declared; components receive plain typed values and never read config.
 *
 * Defaults are the production values (secure by default). A stack relaxes one only by setting
 * its key explicitly, e.g. staging's `applicationLogLevel: INFO` or `samplingRate: 1`.
 *
 * To add an area (the data tier adds `network`, `database`, …): declare its interface, read its
 * keys in a `read…()` function below with the reader's typed helpers, and add it to
 * `InfraConfig`. Keys that nothing reads are rejected as typos.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  type AuthSettings,
  type FirewallSettings,
  readAuth,
  readFirewall,
} from "./lib/auth-config";
import { ConfigReader, type ConfigSource, type ObjectReader } from "./lib/config-reader";
import {
  estimateMaxConnections,
  INSTANCE_CLASS,
  instanceClassMemoryGiB,
  isValidPerformanceInsightsRetention,
  MONITORING_INTERVALS,
  PROXY_RUNTIMES_PER_CONNECTION,
  proxyConnectionLimit,
  RESERVED_CONNECTIONS,
} from "./lib/rds";
import { DEFAULT_RUNBOOK_BASE_URL } from "./lib/runbook";

export { ConfigError } from "./lib/config-reader";

/** Keys in this project's namespace read by tools (the deploy tool and the cost estimate), not the program. */
export const TOOL_ONLY_KEYS = ["costAssumptions", "expectedAccountId"] as const;

export const STAGES = ["prod", "staging"] as const;
export type Stage = (typeof STAGES)[number];

export const APPLICATION_LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
export type ApplicationLogLevel = (typeof APPLICATION_LOG_LEVELS)[number];
export const SYSTEM_LOG_LEVELS = ["DEBUG", "INFO", "WARN"] as const;
export type SystemLogLevel = (typeof SYSTEM_LOG_LEVELS)[number];
export const API_EXECUTION_LOG_LEVELS = ["ERROR", "INFO", "OFF"] as const;
export type ApiExecutionLogLevel = (typeof API_EXECUTION_LOG_LEVELS)[number];

/**
 * Retention values CloudWatch Logs accepts, from 30 days up: the project's floor is 30 days
 * (the policy pack enforces the same minimum), and 0 ("never expire") is not offered.
 */
export const LOG_RETENTION_DAYS = [
  30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface FunctionSettings {
  memoryMb: number;
  timeoutSeconds: number;
  /** Reserved concurrency: caps the function and guarantees it that much of the account pool. */
  reservedConcurrency: number;
  /** Threshold of the `Duration` p95 alarm, in milliseconds. */
  durationP95Ms: number;
}

export interface WorkerSettings extends FunctionSettings {
  /** EventBridge schedule expression of the nightly run. */
  schedule: string;
  /** Lambda's own retries of a failed asynchronous invocation before the DLQ (0–2). */
  maxRetries: number;
  /** Oldest an asynchronous event may get before Lambda sends it to the DLQ (60–21600 s). */
  maxEventAgeSeconds: number;
}

/**
 * Where the functions and the database live. Either the program creates a VPC with two private
 * subnets (no internet gateway, no NAT: AWS APIs are reached through interface endpoints), or
 * `existing` names a VPC and its private subnets.
 */
export interface NetworkSettings {
  /** An existing VPC and ≥ 2 private subnets in different AZs; absent → one is created. */
  existing?: { vpcId: string; subnetIds: string[] };
  /** CIDR of the created VPC (ignored with `existing`). */
  cidrBlock: string;
  /**
   * Whether to create the interface endpoints (Secrets Manager, RDS API, X-Ray). Off only for an
   * existing VPC that already has them (a VPC allows one private-DNS endpoint per service) or
   * reaches AWS APIs through a NAT gateway.
   */
  createEndpoints: boolean;
  /** Subnets (AZs) each endpoint gets a network interface in: 2 survives an AZ loss, 1 halves the cost. */
  endpointAzCount: 1 | 2;
}

/** Alarm thresholds of the database (AWS's recommended alarms for RDS by default). */
export interface DatabaseAlarmSettings {
  cpuPercent: number;
  freeStoragePercent: number;
  connectionsPercent: number;
  freeableMemoryPercent: number;
  readLatencyMs: number;
  writeLatencyMs: number;
}

/** What stands between the functions and PostgreSQL. */
export const POOLERS = ["none", "rds-proxy"] as const;
export type Pooler = (typeof POOLERS)[number];

/**
 * RDS Proxy in front of the instance (`database.pooler: rds-proxy`). The API and the worker
 * connect to it; the migration and rotation functions keep their direct path.
 */
export interface ProxySettings {
  /**
   * Share of `max_connections` the proxy may open. Derived, not configured: what is left after
   * the direct clients (migration function, rotation, reserved slots), so the two never
   * together exceed the instance.
   */
  maxConnectionsPercent: number;
  /** Database connections the proxy may open (`maxConnectionsPercent` of max_connections). */
  connectionLimit: number;
  /** How long a request waits for a pooled connection before the proxy refuses it (s). */
  borrowTimeoutSeconds: number;
  /** `ClientConnections` alarm threshold, in percent of `connectionLimit`. */
  clientConnectionsAlarmPercent: number;
  /** `DatabaseConnectionsCurrentlySessionPinned` alarm threshold (connections). */
  pinnedConnectionsAlarm: number;
}

export interface DatabaseSettings {
  /** RDS instance class, e.g. `db.t4g.medium` (required: it is a cost and capacity decision). */
  instanceClass: string;
  /** Memory of the class in GiB: `database.memoryGiB`, else the project's table of classes. */
  memoryGiB: number;
  /** PostgreSQL major version. */
  engineVersion: string;
  allocatedStorageGb: number;
  /** Storage autoscaling ceiling; absent → autoscaling off. */
  maxAllocatedStorageGb: number | undefined;
  multiAz: boolean;
  deletionProtection: boolean;
  /** Take a final snapshot when the instance is deleted. */
  finalSnapshot: boolean;
  /**
   * Apply instance changes now instead of in the maintenance window: set it for the deploy of a
   * major engineVersion upgrade (the old parameter group is deleted once the instance left it).
   * @default false
   */
  applyImmediately: boolean;
  backupRetentionDays: number;
  /** 7 (free), 31 × months up to 713, or 731. */
  performanceInsightsRetentionDays: number;
  monitoringIntervalSeconds: (typeof MONITORING_INTERVALS)[number];
  /** `log_min_duration_statement`: statements at least this slow are logged (ms). */
  slowStatementLogMs: number;
  /** `max_connections` written to the parameter group; absent → RDS's memory-based default. */
  maxConnections: number | undefined;
  /** What the connection alarm compares with: `maxConnections`, or the estimate from memory. */
  effectiveMaxConnections: number;
  databaseName: string;
  masterUsername: string;
  /** The application user; alternating-users rotation adds `<appUsername>_clone`. */
  appUsername: string;
  /** Days between rotations of the application secret (alternating users). */
  appRotationDays: number;
  /** Days between RDS's managed rotations of the master secret. */
  masterRotationDays: number;
  /**
   * Whether this stack creates Enhanced Monitoring's account-wide `RDSOSMetrics` log group (one
   * stack per account and region; off by default, since a second stack would collide).
   */
  manageOsMetricsLogGroup: boolean;
  alarms: DatabaseAlarmSettings;
  /**
   * `none` (default, also in prod): each function runtime connects to the instance, which has
   * room for prod's concurrency; no proxy cost, no extra hop. `rds-proxy`: for a stack whose
   * reserved concurrency needs more connections than the instance allows (docs/CONNECTIONS.md).
   */
  pooler: Pooler;
  /** Present when `pooler` is `rds-proxy`. */
  proxy: ProxySettings | undefined;
}

export interface InfraConfig {
  project: string;
  stack: string;
  /** `STAGE` for the handlers: `prod` or `staging`. */
  stage: Stage;
  region: string;
  /** The stack file the values came from (messages, docs). */
  stackFile: string;
  runbookBaseUrl: string;
  alerting: { emails: string[] };
  logs: {
    retentionInDays: number;
    applicationLogLevel: ApplicationLogLevel;
    systemLogLevel: SystemLogLevel;
  };
  tracing: { samplingRate: number; reservoirSize: number; priority: number };
  api: FunctionSettings & {
    stageName: string;
    throttle: { rateLimit: number; burstLimit: number };
    executionLogLevel: ApiExecutionLogLevel;
    /** Whether this stack sets the region-wide API Gateway CloudWatch role (one stack per account). */
    manageAccountLogRole: boolean;
    /** Threshold of the API Gateway `Latency` p95 alarm, in milliseconds. */
    latencyP95Ms: number;
    /** Threshold of the API's 5xx rate alarm, in percent of requests. */
    serverErrorRatePercent: number;
  };
  worker: WorkerSettings;
  dlq: { retentionDays: number };
  alarms: {
    errorRatePercent: number;
    /** Slow queries a minute (`SlowQueries`, the handlers' metric) above which the alarm pages. */
    slowQueriesPerMinute: number;
  };
  handlers: { slowQueryMs: number };
  network: NetworkSettings;
  database: DatabaseSettings;
  /** The migration function, invoked on deploy. */
  migrations: { memoryMb: number; timeoutSeconds: number };
  /** Who may call the API: the Cognito user pool (created or existing) and the creator claim. */
  auth: AuthSettings;
  /** The WAFv2 web ACL in front of the stage. */
  firewall: FirewallSettings;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const HTTPS_URL = /^https:\/\/[^\s#]+$/;
const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

function readFunction(
  f: ObjectReader,
  defaults: Omit<FunctionSettings, "durationP95Ms"> & {
    durationP95Ms: (timeoutSeconds: number) => number;
  },
  maxTimeout: number,
  timeoutWhy: string,
): FunctionSettings {
  const timeoutSeconds = f.number(
    "timeoutSeconds",
    {
      min: 1,
      max: maxTimeout,
      integer: true,
      expected: `an integer in [1, ${maxTimeout}] (${timeoutWhy})`,
    },
    defaults.timeoutSeconds,
  );
  return {
    memoryMb: f.number("memoryMb", { min: 128, max: 10240, integer: true }, defaults.memoryMb),
    timeoutSeconds,
    reservedConcurrency: f.number(
      "reservedConcurrency",
      {
        min: 1,
        max: 1000,
        integer: true,
        expected: "an integer in [1, 1000] (0 would throttle every invocation)",
      },
      defaults.reservedConcurrency,
    ),
    durationP95Ms: f.number(
      "durationP95Ms",
      {
        min: 1,
        max: timeoutSeconds * 1000,
        expected: "a number of milliseconds below the timeout",
      },
      defaults.durationP95Ms(timeoutSeconds),
    ),
  };
}

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
/** PostgreSQL role names RDS accepts for the users this program creates. */
const PG_USER = /^[a-z][a-z0-9_]{0,56}$/;
const PG_DATABASE = /^[a-z][a-z0-9_]{0,62}$/;
const RESERVED_USERS = ["rdsadmin", "rdsrepladmin", "rds_superuser", "postgres", "public"];

function readNetwork(r: ConfigReader): NetworkSettings {
  const project = r.project;
  return r.object(
    "network",
    'an object such as { cidrBlock: "10.40.0.0/16", endpointAzCount: 2 }',
    (f): NetworkSettings => {
      const vpcId = f.optionalString("vpcId", {
        pattern: VPC_ID,
        expected: "a VPC id such as vpc-0a1b2c3d4e5f67890",
      });
      const subnetIds = f.optionalStringList("subnetIds", {
        pattern: SUBNET_ID,
        expected:
          "a list of at least two private subnet ids in different AZs, e.g. [subnet-0123456789abcdef0, subnet-0fedcba9876543210]",
      });
      if ((vpcId === undefined) !== (subnetIds === undefined)) {
        r.problem(
          `${project}:network.vpcId and network.subnetIds must be set together (an existing VPC and its private subnets), or neither to create a VPC`,
        );
      } else if (subnetIds !== undefined && new Set(subnetIds).size < 2) {
        r.problem(
          `${project}:network.subnetIds must list at least two distinct private subnets in different AZs (an RDS subnet group needs two AZs)`,
        );
      }
      const cidrBlock = f.string(
        "cidrBlock",
        { pattern: CIDR, expected: "an IPv4 CIDR from /16 to /24 such as 10.40.0.0/16" },
        "10.40.0.0/16",
      );
      const m = CIDR.exec(cidrBlock);
      if (
        m &&
        (m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) < 16 || Number(m[5]) > 24)
      ) {
        r.problem(
          `${project}:network.cidrBlock must be an IPv4 CIDR from /16 to /24 such as 10.40.0.0/16, not "${cidrBlock}"`,
        );
      }
      return {
        ...(vpcId !== undefined && subnetIds !== undefined
          ? { existing: { vpcId, subnetIds } }
          : {}),
        cidrBlock,
        createEndpoints: f.boolean("createEndpoints", true),
        endpointAzCount: f.number(
          "endpointAzCount",
          {
            min: 1,
            max: 2,
            integer: true,
            expected: "1 or 2 (AZs each interface endpoint has a network interface in)",
          },
          2,
        ) as 1 | 2,
      };
    },
  );
}

function readDatabase(r: ConfigReader): DatabaseSettings {
  const project = r.project;
  const key = `${project}:database`;
  return r.object(
    "database",
    'an object such as { instanceClass: "db.t4g.medium", allocatedStorageGb: 20 }',
    (f): DatabaseSettings => {
      const instanceClass = f.requiredString(
        "instanceClass",
        { pattern: INSTANCE_CLASS, expected: "an RDS instance class such as db.t4g.medium" },
        `the RDS instance class, e.g. db.t4g.medium — a cost and capacity decision with no default; set it with \`pulumi config set --path database.instanceClass db.t4g.medium\``,
      );
      const memoryGiB =
        f.optionalNumber("memoryGiB", {
          min: 0.5,
          max: 4096,
          expected: "the instance class's memory in GiB, e.g. 16",
        }) ?? (instanceClass ? instanceClassMemoryGiB(instanceClass) : undefined);
      const allocatedStorageGb = f.number(
        "allocatedStorageGb",
        { min: 20, max: 65536, integer: true, expected: "an integer in [20, 65536] (gp3 GiB)" },
        20,
      );
      const maxAllocatedStorageGb = f.optionalNumber("maxAllocatedStorageGb", {
        min: 21,
        max: 65536,
        integer: true,
        expected:
          "an integer in [21, 65536] above allocatedStorageGb (storage autoscaling ceiling)",
      });
      if (maxAllocatedStorageGb !== undefined && maxAllocatedStorageGb <= allocatedStorageGb) {
        r.problem(
          `${key}.maxAllocatedStorageGb must be above database.allocatedStorageGb (${allocatedStorageGb}), or unset to turn storage autoscaling off`,
        );
      }
      const performanceInsightsRetentionDays = f.number(
        "performanceInsightsRetentionDays",
        { min: 7, max: 731, integer: true, expected: PI_RETENTION_EXPECTED },
        7,
      );
      if (!isValidPerformanceInsightsRetention(performanceInsightsRetentionDays)) {
        r.problem(
          `${key}.performanceInsightsRetentionDays must be ${PI_RETENTION_EXPECTED}, not ${performanceInsightsRetentionDays}`,
        );
      }
      const monitoringIntervalSeconds = f.number(
        "monitoringIntervalSeconds",
        {
          min: 1,
          max: 60,
          integer: true,
          expected: `one of ${MONITORING_INTERVALS.join(", ")} (Enhanced Monitoring interval, seconds)`,
        },
        60,
      );
      if (!(MONITORING_INTERVALS as readonly number[]).includes(monitoringIntervalSeconds)) {
        r.problem(
          `${key}.monitoringIntervalSeconds must be one of ${MONITORING_INTERVALS.join(", ")} (Enhanced Monitoring interval, seconds), not ${monitoringIntervalSeconds}`,
        );
      }
      const maxConnections = f.optionalNumber("maxConnections", {
        min: 20,
        max: 5000,
        integer: true,
        expected: "an integer in [20, 5000] (written to the parameter group as max_connections)",
      });
      if (instanceClass && memoryGiB === undefined) {
        r.problem(
          `${key}.memoryGiB must be set for ${instanceClass}: the project's table of instance classes does not know it, and the connection budget and the memory alarm derive from its memory`,
        );
      }
      const masterUsername = f.string(
        "masterUsername",
        {
          pattern: PG_USER,
          expected: "a PostgreSQL role name: a-z, 0-9 and _, at most 57 characters",
        },
        "huntaze_admin",
      );
      const appUsername = f.string(
        "appUsername",
        {
          pattern: PG_USER,
          expected:
            "a PostgreSQL role name: a-z, 0-9 and _, at most 57 characters (rotation adds _clone)",
        },
        "huntaze_app",
      );
      for (const [field, name] of [
        ["masterUsername", masterUsername],
        ["appUsername", appUsername],
      ] as const) {
        if (RESERVED_USERS.includes(name)) {
          r.problem(`${key}.${field} must not be "${name}", a name RDS or PostgreSQL reserves`);
        }
      }
      if (masterUsername === appUsername || appUsername === `${masterUsername}_clone`) {
        r.problem(
          `${key}.appUsername must differ from database.masterUsername: the functions never use the master user`,
        );
      }
      const alarms = readDatabaseAlarms(f);
      const pooler = f.string("pooler", { oneOf: POOLERS }, "none") as Pooler;
      const proxyKeys = {
        borrowTimeoutSeconds: f.number(
          "proxyBorrowTimeoutSeconds",
          {
            min: 1,
            max: 3600,
            integer: true,
            expected:
              "whole seconds in [1, 3600], below the API timeout (RDS Proxy's default, 120 s, outlives every request)",
          },
          5,
        ),
        clientConnectionsAlarmPercent: f.number(
          "proxyClientConnectionsAlarmPercent",
          { min: 1, max: 100, expected: "a percentage in [1, 100]" },
          90,
        ),
        pinnedConnectionsAlarm: f.number(
          "proxyPinnedConnectionsAlarm",
          { min: 1, max: 5000, integer: true, expected: "a number of connections in [1, 5000]" },
          5,
        ),
      };
      const effectiveMaxConnections =
        maxConnections ?? (memoryGiB === undefined ? 0 : estimateMaxConnections(memoryGiB));
      return {
        pooler,
        proxy:
          pooler === "rds-proxy" ? proxySettings(effectiveMaxConnections, proxyKeys) : undefined,
        instanceClass,
        memoryGiB: memoryGiB ?? 0,
        engineVersion: f.string(
          "engineVersion",
          { pattern: /^1[7-9]$/, expected: 'a PostgreSQL major version, "17" or later' },
          "17",
        ),
        allocatedStorageGb,
        maxAllocatedStorageGb,
        multiAz: f.boolean("multiAz", true),
        deletionProtection: f.boolean("deletionProtection", true),
        finalSnapshot: f.boolean("finalSnapshot", true),
        applyImmediately: f.boolean("applyImmediately", false),
        backupRetentionDays: f.number(
          "backupRetentionDays",
          {
            min: 1,
            max: 35,
            integer: true,
            expected: "an integer in [1, 35] (0 would turn backups off)",
          },
          14,
        ),
        performanceInsightsRetentionDays,
        monitoringIntervalSeconds:
          monitoringIntervalSeconds as DatabaseSettings["monitoringIntervalSeconds"],
        slowStatementLogMs: f.number(
          "slowStatementLogMs",
          { min: 10, max: 600000, integer: true, expected: "milliseconds in [10, 600000]" },
          1000,
        ),
        maxConnections,
        effectiveMaxConnections,
        databaseName: f.string(
          "databaseName",
          { pattern: PG_DATABASE, expected: "a PostgreSQL database name: a-z, 0-9 and _" },
          "huntaze",
        ),
        masterUsername,
        appUsername,
        manageOsMetricsLogGroup: f.boolean("manageOsMetricsLogGroup", false),
        appRotationDays: f.number(
          "appRotationDays",
          {
            min: 1,
            max: 365,
            integer: true,
            expected: "an integer in [1, 365] (days between rotations of the app secret)",
          },
          30,
        ),
        masterRotationDays: f.number(
          "masterRotationDays",
          {
            min: 1,
            max: 365,
            integer: true,
            expected: "an integer in [1, 365] (days between RDS's rotations of the master secret)",
          },
          7,
        ),
        alarms,
      };
    },
  );
}

/** Connections opened directly, besides the proxy: the migration function. */
const DIRECT_FUNCTION_CONNECTIONS = 1;

function proxySettings(
  maxConnections: number,
  keys: Omit<ProxySettings, "maxConnectionsPercent" | "connectionLimit">,
): ProxySettings {
  const direct = DIRECT_FUNCTION_CONNECTIONS + RESERVED_CONNECTIONS;
  const maxConnectionsPercent =
    maxConnections > direct
      ? Math.max(1, Math.floor(((maxConnections - direct) * 100) / maxConnections))
      : 1;
  return {
    ...keys,
    maxConnectionsPercent,
    connectionLimit: proxyConnectionLimit(maxConnections, maxConnectionsPercent),
  };
}

const PI_RETENTION_EXPECTED =
  "7 (the free tier), a whole number of months in days (31, 62, … 713) or 731";

function readDatabaseAlarms(f: ObjectReader): DatabaseAlarmSettings {
  const percent = (field: string, fallback: number) =>
    f.number(field, { min: 1, max: 100, expected: "a percentage in [1, 100]" }, fallback);
  const ms = (field: string, fallback: number) =>
    f.number(field, { min: 1, max: 10000, expected: "milliseconds in [1, 10000]" }, fallback);
  return {
    cpuPercent: percent("cpuAlarmPercent", 90),
    freeStoragePercent: percent("freeStorageAlarmPercent", 10),
    connectionsPercent: percent("connectionsAlarmPercent", 90),
    freeableMemoryPercent: percent("freeableMemoryAlarmPercent", 10),
    readLatencyMs: ms("readLatencyAlarmMs", 20),
    writeLatencyMs: ms("writeLatencyAlarmMs", 20),
  };
}

/** Validates raw stack config (as `PULUMI_CONFIG` holds it); throws `ConfigError` on any problem. */
export function parseConfig(source: ConfigSource & { stack: string }): InfraConfig {
  const r = new ConfigReader(source);
  for (const key of TOOL_ONLY_KEYS) r.accept(key);

  const region = r.requiredString(
    "aws:region",
    { pattern: /^[a-z]{2}(-gov)?-[a-z]+-\d$/, expected: "an AWS region such as us-east-1" },
    "the AWS region, e.g. `pulumi config set aws:region us-east-1`",
  );

  const stage = r.string(
    "stage",
    { oneOf: STAGES },
    (STAGES as readonly string[]).includes(source.stack) ? source.stack : "",
  ) as Stage;
  if (stage === ("" as Stage)) {
    r.problem(
      `${source.project}:stage must be set to "prod" or "staging" when the stack name (${source.stack}) is neither`,
    );
  }

  const emails = r.stringList(
    "alertEmails",
    {
      pattern: EMAIL,
      expected:
        'a non-empty list of e-mail addresses for alarm notifications, e.g. ["ops@huntaze.example"]',
    },
    { required: true, fallback: [] },
  );

  const retentionInDays = r.number(
    "logRetentionDays",
    {
      min: 30,
      max: 3653,
      integer: true,
      expected: `one of ${LOG_RETENTION_DAYS.join(", ")} (CloudWatch Logs retention values, at least 30)`,
    },
    30,
  );
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retentionInDays)) {
    r.problem(
      `${source.project}:logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")} (CloudWatch Logs retention values, at least 30)`,
    );
  }

  const latencyP95Ms = r.number(
    "latencyP95Ms",
    { min: 50, max: 29000, expected: "a number of milliseconds in [50, 29000]" },
    500,
  );

  const api = r.object(
    "api",
    "an object such as { memoryMb: 512, timeoutSeconds: 10, reservedConcurrency: 50 }",
    (f) =>
      readFunction(
        f,
        {
          memoryMb: 512,
          timeoutSeconds: 10,
          reservedConcurrency: 50,
          durationP95Ms: () => latencyP95Ms,
        },
        29,
        "REST API integrations time out at 29 s",
      ),
  );

  const worker = r.object(
    "worker",
    'an object such as { timeoutSeconds: 300, schedule: "cron(0 3 * * ? *)" }',
    (f): WorkerSettings => {
      const common = readFunction(
        f,
        {
          memoryMb: 1024,
          timeoutSeconds: 300,
          // One run at a time: the nightly roll-up must not race itself.
          reservedConcurrency: 1,
          // A run nearing its timeout is about to fail: warn at 80 % of it.
          durationP95Ms: (timeoutSeconds) => Math.round(timeoutSeconds * 1000 * 0.8),
        },
        900,
        "Lambda's limit",
      );
      return {
        ...common,
        schedule: f.string(
          "schedule",
          { pattern: SCHEDULE, expected: 'an EventBridge schedule such as "cron(0 3 * * ? *)"' },
          "cron(0 3 * * ? *)",
        ),
        maxRetries: f.number("maxRetries", { min: 0, max: 2, integer: true }, 2),
        maxEventAgeSeconds: f.number(
          "maxEventAgeSeconds",
          { min: 60, max: 21600, integer: true },
          3600,
        ),
      };
    },
  );

  const throttle = r.object(
    "apiThrottle",
    "an object such as { rateLimit: 50, burstLimit: 100 }",
    (f) => ({
      rateLimit: f.number("rateLimit", { min: 1, max: 10000 }, 50),
      burstLimit: f.number("burstLimit", { min: 1, max: 5000, integer: true }, 100),
    }),
  );

  const config: InfraConfig = {
    project: source.project,
    stack: source.stack,
    stage,
    region,
    stackFile: source.stackFile,
    runbookBaseUrl: r.string(
      "runbookBaseUrl",
      { pattern: HTTPS_URL, expected: "an https:// URL without a #fragment" },
      DEFAULT_RUNBOOK_BASE_URL,
    ),
    alerting: { emails },
    logs: {
      retentionInDays,
      applicationLogLevel: r.string(
        "applicationLogLevel",
        { oneOf: APPLICATION_LOG_LEVELS },
        "ERROR",
      ) as ApplicationLogLevel,
      systemLogLevel: r.string(
        "systemLogLevel",
        { oneOf: SYSTEM_LOG_LEVELS },
        "WARN",
      ) as SystemLogLevel,
    },
    tracing: {
      samplingRate: r.number("samplingRate", { min: 0, max: 1 }, 0.1),
      reservoirSize: r.number("samplingReservoir", { min: 0, max: 1000, integer: true }, 1),
      priority: r.number("samplingPriority", { min: 1, max: 9999, integer: true }, 1000),
    },
    api: {
      ...api,
      stageName: r.string(
        "apiStageName",
        { pattern: STAGE_NAME, expected: "letters, digits, - or _ (an API Gateway stage name)" },
        "v1",
      ),
      throttle,
      executionLogLevel: r.string(
        "apiExecutionLogLevel",
        { oneOf: API_EXECUTION_LOG_LEVELS },
        "ERROR",
      ) as ApiExecutionLogLevel,
      manageAccountLogRole: r.boolean("manageApiGatewayAccount", true),
      latencyP95Ms,
      serverErrorRatePercent: r.number(
        "api5xxRateThresholdPercent",
        { min: 0.01, max: 100, expected: "a percentage in [0.01, 100]" },
        1,
      ),
    },
    worker,
    dlq: {
      retentionDays: r.number(
        "dlqRetentionDays",
        {
          min: 1,
          max: 14,
          integer: true,
          expected: "an integer in [1, 14] (SQS keeps at most 14 days)",
        },
        14,
      ),
    },
    alarms: {
      errorRatePercent: r.number(
        "errorRateThresholdPercent",
        { min: 0.01, max: 100, expected: "a percentage in [0.01, 100]" },
        1,
      ),
      slowQueriesPerMinute: r.number(
        "slowQueryAlarmPerMinute",
        { min: 0, max: 100000, integer: true, expected: "a whole number of queries ≥ 0" },
        5,
      ),
    },
    handlers: {
      slowQueryMs: r.number("slowQueryMs", { min: 1, max: 60000, integer: true }, 200),
    },
    network: readNetwork(r),
    database: readDatabase(r),
    migrations: r.object(
      "migrations",
      "an object such as { memoryMb: 1024, timeoutSeconds: 300 }",
      (f) => ({
        memoryMb: f.number("memoryMb", { min: 128, max: 10240, integer: true }, 1024),
        timeoutSeconds: f.number(
          "timeoutSeconds",
          {
            min: 30,
            max: 900,
            integer: true,
            expected: "an integer in [30, 900] (Lambda's limit; the deploy waits for it)",
          },
          300,
        ),
      }),
    ),
    auth: readAuth(r, stage),
    firewall: readFirewall(r, stage),
  };
  checkConnectionBudget(r, config);
  if (throttle.burstLimit < throttle.rateLimit) {
    r.problem(
      `${source.project}:apiThrottle.burstLimit must be at least apiThrottle.rateLimit (${throttle.rateLimit})`,
    );
  }
  r.finish();
  return config;
}

/**
 * Every function runtime holds one connection (the handlers' pool max is 1), so the reserved
 * concurrencies, the migration function and what RDS and the rotation hold must fit in
 * `max_connections`, or requests fail with "too many clients" before any alarm could help.
 */
function checkConnectionBudget(r: ConfigReader, config: InfraConfig): void {
  const { database } = config;
  if (database.effectiveMaxConnections === 0) return; // already reported: nothing to compare with
  const functions = config.api.reservedConcurrency + config.worker.reservedConcurrency;
  if (database.proxy) {
    // The instance itself is safe (the proxy opens at most its share, the rest is kept for the
    // direct clients); the runtimes must still fit what that share can serve.
    const capacity = database.proxy.connectionLimit * PROXY_RUNTIMES_PER_CONNECTION;
    if (functions > capacity) {
      r.problem(
        `${config.project}:database.instanceClass must let the proxy serve ${functions} runtimes (api.reservedConcurrency ${config.api.reservedConcurrency} + worker.reservedConcurrency ${config.worker.reservedConcurrency}), more than its ${database.proxy.connectionLimit} connections (${database.proxy.maxConnectionsPercent} % of ~${database.effectiveMaxConnections}) × ${PROXY_RUNTIMES_PER_CONNECTION} runtimes each: choose a larger class or lower the reserved concurrency`,
      );
    }
    return;
  }
  const needed = functions + DIRECT_FUNCTION_CONNECTIONS + RESERVED_CONNECTIONS;
  if (needed > database.effectiveMaxConnections) {
    const source =
      database.maxConnections !== undefined
        ? `database.maxConnections (${database.maxConnections})`
        : `what ${database.instanceClass} allows (~${database.effectiveMaxConnections}, estimated from its memory)`;
    r.problem(
      `${config.project}:database.instanceClass must allow ${needed} connections (api.reservedConcurrency ${config.api.reservedConcurrency} + worker.reservedConcurrency ${config.worker.reservedConcurrency} + 1 migration + ${RESERVED_CONNECTIONS} reserved), more than ${source}: choose a larger class, lower the reserved concurrency, or put RDS Proxy in front (database.pooler: rds-proxy)`,
    );
  }
}

/** Reads the running stack's config from the Pulumi runtime and validates it. */
export function loadConfig(): InfraConfig {
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  return parseConfig({
    project,
    stack,
    stackFile: `Pulumi.${stack}.yaml`,
    values: pulumi.runtime.allConfig(),
  });
}
