/**
 * huntaze-api, part by part: load the typed stack config, create the components in the order
 * they depend on each other, export the outputs the deploy tool reads (docs/CONFIGURATION.md
 * lists them). Each component owns its wiring — IAM statements, key grants, derived thresholds —
 * in `components/` and `lib/`.
 */
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as pulumi from "@pulumi/pulumi";
import { Alarms } from "./components/alarms";
import { Alerting } from "./components/alerting";
import { AUTHORIZER_DURATION_P95_MS, apiAuth, oidcAuthorizerArgs } from "./components/api-auth";
import { Dashboard } from "./components/dashboard";
import { Database } from "./components/database";
import { DatabaseAlarms } from "./components/database-alarms";
import { DatabaseProxy } from "./components/database-proxy";
import { DatabaseSecrets } from "./components/db-secrets";
import { DeadLetterQueue } from "./components/dead-letter-queue";
import { EncryptionKey, logGroupsKeyGrant } from "./components/encryption-key";
import { Firewall } from "./components/firewall";
import { LambdaFunction } from "./components/function";
import { Identity } from "./components/identity";
import { Migrations } from "./components/migrations";
import { Network } from "./components/network";
import { RestApi } from "./components/rest-api";
import { Schedule } from "./components/schedule";
import { SecretRotations } from "./components/secret-rotation";
import { Tracing } from "./components/tracing";
import { loadConfig } from "./config";
import { appMetric } from "./lib/alarms";
import { Naming, partitionOf } from "./lib/naming";

// ---- The stack: config (bad config fails here, naming the key and stack file), names, account ----

const cfg = loadConfig();
const naming = new Naming(cfg.project, cfg.stack);
const { region } = cfg;
const partition = partitionOf(region);
const accountId = getCallerIdentityOutput().accountId;
/** This stack's EventBridge rules: the only ones that may use its key and dead-letter queue. */
const ruleArnPattern = pulumi.interpolate`arn:${partition}:events:${region}:${accountId}:rule/${naming.prefix}-*`;

// ---- Keys and network ----

const key = new EncryptionKey("key", {
  description: `${naming.prefix}: alarm topic, dead-letter queue, Lambda environment and log groups`,
  aliasName: naming.prefix,
  accountId,
  partition,
  serviceGrants: [
    Alerting.cloudWatchAlarmsKeyGrant(),
    DeadLetterQueue.eventRulesKeyGrant(ruleArnPattern),
    Alerting.eventRulesKeyGrant(ruleArnPattern),
    logGroupsKeyGrant({ region, partition, accountId }),
  ],
});
/** What every log group of the stack shares: retention and the key. */
const logs = { logRetentionInDays: cfg.logs.retentionInDays, logsKmsKeyArn: key.arn };
/** Storage, snapshots and both database secrets. */
const dataKey = new EncryptionKey("data-key", {
  description: `${naming.prefix}: RDS storage and snapshots, database secrets`,
  aliasName: `${naming.prefix}-data`,
  accountId,
  partition,
});
/** Performance Insights data (query text, waits): its own key, its own grants. */
const performanceInsightsKey = new EncryptionKey("pi-key", {
  description: `${naming.prefix}: RDS Performance Insights`,
  aliasName: `${naming.prefix}-performance-insights`,
  accountId,
  partition,
});

const network = new Network("network", {
  namePrefix: naming.prefix,
  region,
  accountId,
  ...cfg.network,
  pooler: cfg.database.pooler,
});

// ---- Data tier: database, secrets, proxy ----

const database = new Database("database", {
  identifier: naming.prefix,
  subnetIds: network.subnetIds,
  securityGroupId: network.databaseSecurityGroup.id,
  kmsKeyArn: dataKey.arn,
  performanceInsightsKmsKeyArn: performanceInsightsKey.arn,
  partition,
  accountId,
  ...logs,
  ...cfg.database,
});

const dbSecrets = new DatabaseSecrets("db-secrets", {
  namePrefix: naming.prefix,
  region,
  partition,
  kmsKeyArn: dataKey.arn,
  masterSecretArn: database.masterSecretArn,
  subnetIds: network.subnetIds,
  securityGroupId: network.rotationSecurityGroup.id,
  ...logs,
});

// ---- Alerting ----

const alerting = new Alerting("alerting", {
  topicName: naming.name("snsTopic", "alarms"),
  kmsKeyArn: key.arn,
  emails: cfg.alerting.emails,
});
const alarmTarget = { naming, topicArn: alerting.topicArn, runbookBaseUrl: cfg.runbookBaseUrl };

const dlq = new DeadLetterQueue("worker-dlq", {
  queueName: naming.name("sqsQueue", "worker-dlq"),
  kmsKeyArn: key.arn,
  retentionDays: cfg.dlq.retentionDays,
  eventBridgeSourceArnPattern: ruleArnPattern,
});

/** `database.pooler: rds-proxy`: the API and the worker reach PostgreSQL through RDS Proxy only. */
const proxy = cfg.database.proxy;
const dbProxy =
  proxy && network.proxySecurityGroup
    ? new DatabaseProxy("db-proxy", {
        proxyName: naming.prefix,
        instanceIdentifier: database.instance.identifier,
        subnetIds: network.subnetIds,
        securityGroupId: network.proxySecurityGroup.id,
        appSecretArn: dbSecrets.appSecretArn,
        kmsKeyArn: dataKey.arn,
        region,
        maxConnectionsPercent: proxy.maxConnectionsPercent,
        connectionLimit: proxy.connectionLimit,
        borrowTimeoutSeconds: proxy.borrowTimeoutSeconds,
        alarms: {
          target: alarmTarget,
          clientConnectionsPercent: proxy.clientConnectionsAlarmPercent,
          pinnedConnections: proxy.pinnedConnectionsAlarm,
        },
      })
    : undefined;

// ---- Functions: the API, its authorizer, the nightly worker ----

/** What every function shares: logging, the environment key, and the handlers' contract. */
const common = {
  ...logs,
  applicationLogLevel: cfg.logs.applicationLogLevel,
  systemLogLevel: cfg.logs.systemLogLevel,
  kmsKeyArn: key.arn,
  environment: {
    STAGE: cfg.stage,
    POWERTOOLS_SERVICE_NAME: "huntaze-api",
    SLOW_QUERY_MS: String(cfg.handlers.slowQueryMs),
  },
};
/** The API and the worker: in the VPC (behind the proxy if any), reading the app secret. */
const dataAccess = { vpc: network.clientVpc, ...dbSecrets.readAccess };
const dataEnvironment = {
  ...common.environment,
  ...dbSecrets.environment,
  ...dbProxy?.clientEnvironment,
};

const { pool, creatorClaim } = cfg.auth;
const identity =
  pool.kind === "created"
    ? new Identity("identity", {
        poolName: naming.prefix,
        settings: pool,
        creatorAttribute: creatorClaim.replace(/^custom:/, ""),
      })
    : undefined;
const authorizerFn =
  pool.kind === "oidc"
    ? new LambdaFunction("authorizer", {
        ...common,
        ...oidcAuthorizerArgs(pool, creatorClaim, common.environment),
        functionName: naming.name("lambda", "authorizer"),
        reservedConcurrency: cfg.api.reservedConcurrency,
      })
    : undefined;
const auth = apiAuth(cfg.auth, { identity, authorizer: authorizerFn });

const api = new LambdaFunction("api", {
  ...common,
  ...dataAccess,
  environment: { ...dataEnvironment, ...auth.apiEnvironment },
  functionName: naming.name("lambda", "api"),
  entry: "handlers/api.ts",
  description: "huntaze-api HTTP API (behind API Gateway REST)",
  memoryMb: cfg.api.memoryMb,
  timeoutSeconds: cfg.api.timeoutSeconds,
  reservedConcurrency: cfg.api.reservedConcurrency,
});

const worker = new LambdaFunction("worker", {
  ...common,
  ...dataAccess,
  environment: dataEnvironment,
  functionName: naming.name("lambda", "worker"),
  entry: "handlers/worker.ts",
  description: "huntaze-api nightly worker (invoked asynchronously by EventBridge)",
  memoryMb: cfg.worker.memoryMb,
  timeoutSeconds: cfg.worker.timeoutSeconds,
  reservedConcurrency: cfg.worker.reservedConcurrency,
  deadLetterQueue: { arn: dlq.arn, kmsKeyArn: key.arn },
  asyncInvoke: {
    maxRetries: cfg.worker.maxRetries,
    maxEventAgeSeconds: cfg.worker.maxEventAgeSeconds,
    recordFailures: true,
  },
});

new Schedule("worker-schedule", {
  ruleName: naming.name("eventRule", "worker-nightly"),
  scheduleExpression: cfg.worker.schedule,
  functionName: worker.function.name,
  functionArn: worker.arn,
  deadLetterQueueArn: dlq.arn,
  description: "Nightly revenue roll-up",
});

// ---- Edge: the REST API, its firewall, tracing ----

const restApi = new RestApi("http", {
  apiName: naming.prefix,
  stageName: cfg.api.stageName,
  functionName: api.function.name,
  functionInvokeArn: api.invokeArn,
  ...logs,
  throttleRateLimit: cfg.api.throttle.rateLimit,
  throttleBurstLimit: cfg.api.throttle.burstLimit,
  executionLogLevel: cfg.api.executionLogLevel,
  manageAccountLogRole: cfg.api.manageAccountLogRole,
  region,
  accountId,
  partition,
  auth: auth.restApiAuth,
});

/** The edge firewall: prod always (config refuses to turn it off), staging unless opted out. */
const firewall = cfg.firewall.enabled
  ? new Firewall("firewall", {
      aclName: naming.prefix,
      stageArn: restApi.stageArn,
      ratePerIpPer5Minutes: cfg.firewall.ratePerIpPer5Minutes,
      ...logs,
      alarmTarget,
      blockedRequestsAlarmThreshold: cfg.firewall.blockedRequestsAlarmThreshold,
      region,
    })
  : undefined;

const tracing = new Tracing("tracing", {
  ruleName: naming.name("samplingRule"),
  serviceName: restApi.xrayServiceName,
  resourceArn: restApi.stageArn,
  fixedRate: cfg.tracing.samplingRate,
  reservoirSize: cfg.tracing.reservoirSize,
  priority: cfg.tracing.priority,
});

// ---- Deploy-time jobs: migrations, then secret rotation ----

const migrations = new Migrations("migrations", {
  functionName: naming.name("lambda", "migrate"),
  memoryMb: cfg.migrations.memoryMb,
  timeoutSeconds: cfg.migrations.timeoutSeconds,
  ...logs,
  applicationLogLevel: cfg.logs.applicationLogLevel,
  systemLogLevel: cfg.logs.systemLogLevel,
  environmentKmsKeyArn: key.arn,
  environment: common.environment,
  vpc: network.directVpc,
  database: {
    host: database.address,
    port: database.port,
    name: cfg.database.databaseName,
    resourceId: database.instance.resourceId,
  },
  masterSecretArn: database.masterSecretArn,
  appSecretArn: dbSecrets.appSecretArn,
  appUsername: cfg.database.appUsername,
  secretsKmsKeyArn: dataKey.arn,
  region,
  // The run needs the instance and a network path to it and to Secrets Manager.
  runAfter: [database.instance, ...network.paths],
});

new SecretRotations("db-rotation", {
  appSecretArn: dbSecrets.appSecretArn,
  rotationLambdaArn: dbSecrets.rotationLambdaArn,
  appRotationDays: cfg.database.appRotationDays,
  masterSecretArn: database.masterSecretArn,
  masterRotationDays: cfg.database.masterRotationDays,
  // Rotation starts once the migration run has given the app secret its first value.
  startAfter: [migrations.invocation],
});

// ---- Monitoring: alarms and the dashboard ----

const alarms = new Alarms("alarms", {
  target: alarmTarget,
  errorRatePercent: cfg.alarms.errorRatePercent,
  functions: [
    api.alarmsInput({
      subject: "api",
      invocation: "request",
      durationP95Ms: cfg.api.durationP95Ms,
    }),
    worker.alarmsInput({
      subject: "worker",
      invocation: "scheduled",
      durationP95Ms: cfg.worker.durationP95Ms,
    }),
    ...(authorizerFn
      ? [
          authorizerFn.alarmsInput({
            subject: "authorizer",
            invocation: "request",
            durationP95Ms: AUTHORIZER_DURATION_P95_MS,
          }),
        ]
      : []),
    migrations.alarmsInput,
  ],
  restApi: {
    apiName: restApi.apiName,
    stageName: restApi.stageName,
    latencyP95Ms: cfg.api.latencyP95Ms,
    serverErrorRatePercent: cfg.api.serverErrorRatePercent,
    resource: restApi.stage,
  },
  slowQueries: {
    stage: cfg.stage,
    slowQueriesPerMinute: cfg.alarms.slowQueriesPerMinute,
    slowQueryMs: cfg.handlers.slowQueryMs,
  },
  deadLetterQueues: [{ queueName: dlq.queueName, resource: dlq.queue }],
});

const dbAlarms = new DatabaseAlarms("db-alarms", {
  target: alarmTarget,
  accountId,
  identifier: database.identifier,
  allocatedStorageGb: cfg.database.allocatedStorageGb,
  memoryGiB: cfg.database.memoryGiB,
  maxConnections: cfg.database.effectiveMaxConnections,
  maxConnectionsEstimated: cfg.database.maxConnections === undefined,
  thresholds: cfg.database.alarms,
  rotationFunctionName: dbSecrets.rotationFunctionName,
  ruleName: naming.name("eventRule", "secret-rotation-failed"),
  deadLetterQueueArn: dlq.arn,
  resource: database.instance,
});

/** Every part that alarms, in the order the dashboard and `alarmNames` list them. */
const alarmed = [alarms, dbAlarms, ...(dbProxy ? [dbProxy] : []), ...(firewall ? [firewall] : [])];

const dashboard = new Dashboard("dashboard", {
  dashboardName: naming.name("dashboard"),
  region,
  title: `huntaze-api — ${cfg.stack}`,
  definitions: alarmed.flatMap((part) => part.definitions),
  alarmArns: alarmed.flatMap((part) => part.alarmArns),
  signals: [
    {
      // A rotation or a failover costs a few; a steady stream means the connection keeps failing.
      title: "Database connection retries (per minute)",
      metric: appMetric(cfg.stage, "ConnectionRetries", "Sum"),
      periodSeconds: 60,
    },
  ],
});

// ---- Stack outputs: names, identifiers and ARNs, never a secret value ----

export const apiUrl = restApi.url;
export const apiFunctionName = api.function.name;
export const workerFunctionName = worker.function.name;
export const alarmTopicArn = alerting.topicArn;
export const dlqUrl = dlq.url;
export const dlqArn = dlq.arn;
export const dashboardName = dashboard.dashboard.dashboardName;
export const logGroupNames = [
  api.logGroup.name,
  ...(authorizerFn ? [authorizerFn.logGroup.name] : []),
  worker.logGroup.name,
  migrations.fn.logGroup.name,
  dbSecrets.rotationLogGroup.name,
  restApi.accessLogGroup.name,
  ...(restApi.executionLogGroup ? [restApi.executionLogGroup.name] : []),
  ...database.logGroups.map((g) => g.name),
  ...(firewall ? [firewall.logGroup.name] : []),
];
export const alarmNames = alarmed.flatMap((part) => part.alarmNames);
export const samplingRuleName = tracing.samplingRule.ruleName;
export const samplingRate = tracing.fixedRate;
export const dbInstanceId = database.instance.identifier;
export const dbEndpoint = database.endpoint;
export const appSecretArn = dbSecrets.appSecretArn;
export const masterSecretArn = database.masterSecretArn;
export const performanceInsightsKmsKeyArn = performanceInsightsKey.arn;
export const migrationsApplied = migrations.applied;
export const migrationsChecksum = migrations.checksum;
export const vpcId = network.vpcId;
// Identity (public identifiers: what a client needs to sign in; docs/AUTHENTICATION.md).
export const userPoolId = identity?.userPoolId;
export const userPoolClientId = identity?.clientId;
export const webAclArn = firewall?.webAcl.arn;
