/**
 * huntaze-api: read the typed stack config, compose the components, export the outputs the deploy
 * tool reads (docs/CONFIGURATION.md lists them). Everything else lives in `components/` and `lib/`.
 */
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as pulumi from "@pulumi/pulumi";
import { Alarms } from "./components/alarms";
import { Alerting } from "./components/alerting";
import { Dashboard } from "./components/dashboard";
import { Database } from "./components/database";
import { DatabaseAlarms } from "./components/database-alarms";
import { DatabaseProxy } from "./components/database-proxy";
import { DatabaseSecrets } from "./components/db-secrets";
import { DeadLetterQueue } from "./components/dead-letter-queue";
import { EncryptionKey } from "./components/encryption-key";
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
import type { PolicyStatement } from "./lib/iam";
import { Naming, partitionOf } from "./lib/naming";

// Validated before anything is declared: bad config fails here with the key and stack file.
const cfg = loadConfig();
const naming = new Naming(cfg.project, cfg.stack);
const partition = partitionOf(cfg.region);
const accountId = getCallerIdentityOutput().accountId;
/** This stack's EventBridge rules: the only ones that may dead-letter into its queue. */
const ruleArnPattern = pulumi.interpolate`arn:${partition}:events:${cfg.region}:${accountId}:rule/${naming.prefix}-*`;

const key = new EncryptionKey("key", {
  description: `${naming.prefix}: alarm topic, dead-letter queue, Lambda environment and log groups`,
  aliasName: naming.prefix,
  accountId,
  partition,
  serviceGrants: [
    {
      // CloudWatch alarms publish to the encrypted topic as cloudwatch.amazonaws.com; without
      // this grant SNS rejects the publish and the notification is silently lost.
      sid: "CloudWatchAlarmsPublishToEncryptedTopic",
      service: "cloudwatch.amazonaws.com",
      actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
    },
    {
      // EventBridge writes undeliverable schedule events to the encrypted DLQ.
      sid: "EventBridgeWritesEncryptedDeadLetters",
      service: "events.amazonaws.com",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      condition: { ArnLike: { "aws:SourceArn": ruleArnPattern } },
    },
    {
      // The secret-rotation-failed rule publishes to the encrypted topic (data tier).
      sid: "EventBridgePublishesToEncryptedTopic",
      service: "events.amazonaws.com",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      condition: { ArnLike: { "aws:SourceArn": ruleArnPattern } },
    },
    {
      // CloudWatch Logs encrypts the stack's log groups (function logs, API logs, the RDS
      // postgresql export with statement text) with this key, and only for this account's log
      // groups in this region: without the grant, creating an encrypted group fails.
      sid: "CloudWatchLogsEncryptsLogGroups",
      service: `logs.${cfg.region}.amazonaws.com`,
      actions: [
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
      ],
      condition: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": pulumi.interpolate`arn:${partition}:logs:${cfg.region}:${accountId}:log-group:*`,
        },
      },
    },
  ],
});

// ---- Data tier: network, keys, database, secrets ----

const network = new Network("network", {
  namePrefix: naming.prefix,
  region: cfg.region,
  accountId,
  existing: cfg.network.existing,
  cidrBlock: cfg.network.cidrBlock,
  createEndpoints: cfg.network.createEndpoints,
  endpointAzCount: cfg.network.endpointAzCount,
  pooler: cfg.database.pooler,
});

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

const database = new Database("database", {
  identifier: naming.prefix,
  subnetIds: network.subnetIds,
  securityGroupId: network.databaseSecurityGroup.id,
  kmsKeyArn: dataKey.arn,
  performanceInsightsKmsKeyArn: performanceInsightsKey.arn,
  partition,
  accountId,
  logRetentionInDays: cfg.logs.retentionInDays,
  logsKmsKeyArn: key.arn,
  ...cfg.database,
});

const dbSecrets = new DatabaseSecrets("db-secrets", {
  namePrefix: naming.prefix,
  region: cfg.region,
  partition,
  kmsKeyArn: dataKey.arn,
  masterSecretArn: database.masterSecretArn,
  subnetIds: network.subnetIds,
  securityGroupId: network.rotationSecurityGroup.id,
  logRetentionInDays: cfg.logs.retentionInDays,
  logsKmsKeyArn: key.arn,
});

/**
 * What the API and the worker may do with the database secrets: read the app secret, and
 * decrypt with the data key only through Secrets Manager and only for that secret — never the
 * master secret, which shares the key.
 */
const readAppSecret: PolicyStatement = {
  Sid: "DecryptAppSecretOnly",
  Effect: "Allow",
  Action: ["kms:Decrypt"],
  Resource: dataKey.arn,
  Condition: {
    StringEquals: {
      "kms:ViaService": `secretsmanager.${cfg.region}.amazonaws.com`,
      "kms:EncryptionContext:SecretARN": dbSecrets.appSecretArn,
    },
  },
};
const inVpc = {
  subnetIds: network.subnetIds,
  securityGroupIds: [network.appSecurityGroup.id],
};

const alerting = new Alerting("alerting", {
  topicName: naming.name("snsTopic", "alarms"),
  kmsKeyArn: key.arn,
  emails: cfg.alerting.emails,
});

const dlq = new DeadLetterQueue("worker-dlq", {
  queueName: naming.name("sqsQueue", "worker-dlq"),
  kmsKeyArn: key.arn,
  retentionDays: cfg.dlq.retentionDays,
  eventBridgeSourceArnPattern: ruleArnPattern,
});

/** What every function shares: logging, the environment key, and the handlers' contract. */
const common = {
  logRetentionInDays: cfg.logs.retentionInDays,
  logsKmsKeyArn: key.arn,
  applicationLogLevel: cfg.logs.applicationLogLevel,
  systemLogLevel: cfg.logs.systemLogLevel,
  kmsKeyArn: key.arn,
  environment: {
    STAGE: cfg.stage,
    POWERTOOLS_SERVICE_NAME: "huntaze-api",
    SLOW_QUERY_MS: String(cfg.handlers.slowQueryMs),
  },
};
/**
 * `database.pooler: rds-proxy`: the API and the worker reach PostgreSQL through RDS Proxy only
 * (their group allows 5432 to the proxy, not to the instance); the migration and rotation
 * functions keep their direct path.
 */
const dbProxy =
  cfg.database.proxy && network.proxySecurityGroup
    ? new DatabaseProxy("db-proxy", {
        proxyName: naming.prefix,
        instanceIdentifier: database.instance.identifier,
        subnetIds: network.subnetIds,
        securityGroupId: network.proxySecurityGroup.id,
        appSecretArn: dbSecrets.appSecretArn,
        kmsKeyArn: dataKey.arn,
        region: cfg.region,
        maxConnectionsPercent: cfg.database.proxy.maxConnectionsPercent,
        connectionLimit: cfg.database.proxy.connectionLimit,
        borrowTimeoutSeconds: cfg.database.proxy.borrowTimeoutSeconds,
        alarms: {
          target: { naming, topicArn: alerting.topicArn, runbookBaseUrl: cfg.runbookBaseUrl },
          clientConnectionsPercent: cfg.database.proxy.clientConnectionsAlarmPercent,
          pinnedConnections: cfg.database.proxy.pinnedConnectionsAlarm,
        },
      })
    : undefined;

/** What the API and the worker share on top: the VPC, the app secret (by ARN), the proxy. */
const dataAccess = {
  vpc:
    dbProxy && network.proxyClientSecurityGroup
      ? { subnetIds: network.subnetIds, securityGroupIds: [network.proxyClientSecurityGroup.id] }
      : inVpc,
  readSecretArns: [dbSecrets.appSecretArn],
  extraStatements: [readAppSecret],
};
const dataEnvironment: Record<string, pulumi.Input<string>> = {
  ...common.environment,
  DB_SECRET_ARN: dbSecrets.appSecretArn,
  ...(dbProxy ? { DB_PROXY_HOST: dbProxy.endpoint } : {}),
};

// ---- Identity: who may call the API (a created Cognito user pool, or an existing one) ----

const identity =
  cfg.auth.pool.kind === "created"
    ? new Identity("identity", {
        poolName: naming.prefix,
        settings: cfg.auth.pool,
        creatorAttribute: cfg.auth.creatorClaim.replace(/^custom:/, ""),
      })
    : undefined;
const userPoolArns: pulumi.Input<string>[] = identity
  ? [identity.userPoolArn]
  : cfg.auth.pool.kind === "existing"
    ? [cfg.auth.pool.userPoolArn]
    : [];
/** App client ids whose ID tokens the API accepts (public values: no secret). */
const clientIds: pulumi.Input<string> = identity
  ? identity.clientId
  : cfg.auth.pool.kind === "existing"
    ? cfg.auth.pool.clientIds.join(",")
    : cfg.auth.pool.kind === "oidc"
      ? cfg.auth.pool.audience.join(",")
      : "";
const oidc = cfg.auth.pool.kind === "oidc" ? cfg.auth.pool : undefined;

/**
 * An OIDC issuer: API Gateway cannot verify its tokens, so this function does (against the
 * issuer's JWKS, hence outside the VPC: it needs the internet, not the database).
 */
const authorizerFn = oidc
  ? new LambdaFunction("authorizer", {
      ...common,
      environment: {
        ...common.environment,
        AUTH_ISSUER: oidc.issuer,
        AUTH_AUDIENCE: oidc.audience.join(","),
        AUTH_JWKS_URI: oidc.jwksUri,
        AUTH_CREATOR_CLAIM: cfg.auth.creatorClaim,
      },
      functionName: naming.name("lambda", "authorizer"),
      entry: "handlers/authorizer.ts",
      description: "huntaze-api token authorizer (OIDC issuer, API Gateway REQUEST authorizer)",
      memoryMb: 256,
      timeoutSeconds: 5,
      reservedConcurrency: cfg.api.reservedConcurrency,
      policyExemptions: [
        {
          policy: "lambda-in-vpc",
          expires: "2027-05-31",
          reason:
            "Fetches the OIDC issuer JWKS from the internet which the private VPC without NAT cannot reach. It has no database access.",
        },
      ],
    })
  : undefined;

const api = new LambdaFunction("api", {
  ...common,
  ...dataAccess,
  environment: {
    ...dataEnvironment,
    // API Gateway's Cognito authorizer (or, for an OIDC issuer, the authorizer function)
    // verifies tokens; the function checks client and creator on what they pass.
    AUTH_MODE: oidc ? "lambda-authorizer" : "cognito-authorizer",
    AUTH_AUDIENCE: clientIds,
    AUTH_CREATOR_CLAIM: cfg.auth.creatorClaim,
  },
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

const restApi = new RestApi("http", {
  apiName: naming.prefix,
  stageName: cfg.api.stageName,
  functionName: api.function.name,
  functionInvokeArn: api.invokeArn,
  logRetentionInDays: cfg.logs.retentionInDays,
  logsKmsKeyArn: key.arn,
  throttleRateLimit: cfg.api.throttle.rateLimit,
  throttleBurstLimit: cfg.api.throttle.burstLimit,
  executionLogLevel: cfg.api.executionLogLevel,
  manageAccountLogRole: cfg.api.manageAccountLogRole,
  region: cfg.region,
  accountId,
  partition,
  auth: {
    ...(authorizerFn
      ? {
          lambdaAuthorizer: {
            functionName: authorizerFn.function.name,
            invokeArn: authorizerFn.invokeArn,
          },
        }
      : { userPoolArns }),
    cacheSeconds: cfg.auth.authorizerCacheSeconds,
  },
});

const alarmTarget = { naming, topicArn: alerting.topicArn, runbookBaseUrl: cfg.runbookBaseUrl };

/** The edge firewall: prod always (config refuses to turn it off), staging unless opted out. */
const firewall = cfg.firewall.enabled
  ? new Firewall("firewall", {
      aclName: naming.prefix,
      stageArn: restApi.stageArn,
      ratePerIpPer5Minutes: cfg.firewall.ratePerIpPer5Minutes,
      logRetentionInDays: cfg.logs.retentionInDays,
      logsKmsKeyArn: key.arn,
      alarmTarget,
      blockedRequestsAlarmThreshold: cfg.firewall.blockedRequestsAlarmThreshold,
      region: cfg.region,
    })
  : undefined;

const migrations = new Migrations("migrations", {
  functionName: naming.name("lambda", "migrate"),
  memoryMb: cfg.migrations.memoryMb,
  timeoutSeconds: cfg.migrations.timeoutSeconds,
  logRetentionInDays: cfg.logs.retentionInDays,
  logsKmsKeyArn: key.arn,
  applicationLogLevel: cfg.logs.applicationLogLevel,
  systemLogLevel: cfg.logs.systemLogLevel,
  environmentKmsKeyArn: key.arn,
  environment: common.environment,
  vpc: inVpc,
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
  region: cfg.region,
  // The run needs the instance and a network path to it and to Secrets Manager.
  runAfter: [
    database.instance,
    ...network.endpoints,
    ...network.databaseIngress,
    ...network.endpointIngress,
  ],
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

const tracing = new Tracing("tracing", {
  ruleName: naming.name("samplingRule"),
  serviceName: restApi.xrayServiceName,
  resourceArn: restApi.stageArn,
  fixedRate: cfg.tracing.samplingRate,
  reservoirSize: cfg.tracing.reservoirSize,
  priority: cfg.tracing.priority,
});

const alarms = new Alarms("alarms", {
  target: { naming, topicArn: alerting.topicArn, runbookBaseUrl: cfg.runbookBaseUrl },
  errorRatePercent: cfg.alarms.errorRatePercent,
  functions: [
    {
      subject: "api",
      functionName: api.functionName,
      invocation: "request",
      durationP95Ms: cfg.api.durationP95Ms,
      resource: api.function,
    },
    {
      subject: "worker",
      functionName: worker.functionName,
      invocation: "scheduled",
      durationP95Ms: cfg.worker.durationP95Ms,
      resource: worker.function,
    },
    ...(authorizerFn
      ? [
          {
            subject: "authorizer",
            functionName: authorizerFn.functionName,
            invocation: "request" as const,
            durationP95Ms: 1000,
            resource: authorizerFn.function,
          },
        ]
      : []),
    {
      // Runs once per deploy that changes the migrations: one failure is the whole signal.
      subject: "migrate",
      functionName: migrations.fn.functionName,
      invocation: "scheduled",
      durationP95Ms: Math.round(cfg.migrations.timeoutSeconds * 1000 * 0.8),
      resource: migrations.fn.function,
    },
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
  target: { naming, topicArn: alerting.topicArn, runbookBaseUrl: cfg.runbookBaseUrl },
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

const dashboard = new Dashboard("dashboard", {
  dashboardName: naming.name("dashboard"),
  region: cfg.region,
  title: `huntaze-api — ${cfg.stack}`,
  definitions: [
    ...alarms.definitions,
    ...dbAlarms.definitions,
    ...(dbProxy ? dbProxy.definitions : []),
    ...(firewall ? firewall.definitions : []),
  ],
  alarmArns: [
    ...alarms.alarmArns,
    ...dbAlarms.alarmArns,
    ...(dbProxy ? dbProxy.alarms.map((a) => a.arn) : []),
    ...(firewall ? [firewall.alarm.arn] : []),
  ],
  signals: [
    {
      // A rotation or a failover costs a few; a steady stream means the connection keeps failing.
      title: "Database connection retries (per minute)",
      metric: appMetric(cfg.stage, "ConnectionRetries", "Sum"),
      periodSeconds: 60,
    },
  ],
});

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
export const alarmNames = [
  ...alarms.alarmNames,
  ...dbAlarms.alarmNames,
  ...(dbProxy ? dbProxy.alarms.map((a) => a.name) : []),
  ...(firewall ? firewall.alarmNames : []),
];
export const samplingRuleName = tracing.samplingRule.ruleName;
export const samplingRate = tracing.fixedRate;
// Data tier: identifiers and ARNs, never a secret value.
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
