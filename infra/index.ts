/**
 * huntaze-api, part by part: load the typed stack config, create the system's parts in the order
 * they depend on each other (`stack/`: each part creates its components from config), export the
 * outputs the deploy tool reads (docs/CONFIGURATION.md lists them). The wiring — IAM statements,
 * key grants, derived thresholds — belongs to the components (`components/`).
 */
import { loadConfig } from "./config";
import { createAlerting } from "./stack/alerting";
import { createDataTier } from "./stack/data-tier";
import { createDeployJobs } from "./stack/deploy-jobs";
import { createEdge } from "./stack/edge";
import { createFunctions } from "./stack/functions";
import { createMonitoring } from "./stack/monitoring";
import { createKeys, stackScope } from "./stack/scope";

/** Validated before anything is declared: bad config fails here, naming the key and stack file. */
const cfg = loadConfig();
/** Names (`huntaze-api-<stack>-…`), region, partition, account. */
const scope = stackScope(cfg);

/** The stack key (topic, queue, environments, logs), the data key, the Performance Insights key. */
const keys = createKeys(scope);
/** The alarm topic and the worker's dead-letter queue. */
const alerting = createAlerting(scope, keys);
/** Private network, PostgreSQL, its secrets and their rotation function, RDS Proxy if configured. */
const data = createDataTier(scope, keys, alerting.alarmTarget);
/** The user pool or OIDC authorizer, the API function, the nightly worker and its schedule. */
const functions = createFunctions(scope, keys, data, alerting);
/** The REST API, its web ACL, trace sampling. */
const edge = createEdge(scope, keys, functions, alerting);
/** Migrations on deploy, then the secrets' rotation schedules. */
const jobs = createDeployJobs(scope, keys, data, functions);
/** Alarms of every part, and the dashboard. */
const monitoring = createMonitoring(scope, alerting, data, functions, edge, jobs);

// ---- Stack outputs: names, identifiers and ARNs, never a secret value ----

const { api, worker, authorizer, identity } = functions;
const { network, database, dbSecrets } = data;
const { restApi, firewall, tracing } = edge;
const { migrations } = jobs;

export const apiUrl = restApi.url;
export const apiFunctionName = api.function.name;
export const workerFunctionName = worker.function.name;
export const alarmTopicArn = alerting.alerting.topicArn;
export const dlqUrl = alerting.dlq.url;
export const dlqArn = alerting.dlq.arn;
export const dashboardName = monitoring.dashboard.dashboard.dashboardName;
export const logGroupNames = [
  api.logGroup.name,
  ...(authorizer ? [authorizer.logGroup.name] : []),
  worker.logGroup.name,
  migrations.fn.logGroup.name,
  dbSecrets.rotationLogGroup.name,
  restApi.accessLogGroup.name,
  ...(restApi.executionLogGroup ? [restApi.executionLogGroup.name] : []),
  ...database.logGroups.map((g) => g.name),
  ...(firewall ? [firewall.logGroup.name] : []),
];
export const alarmNames = monitoring.alarmNames;
export const samplingRuleName = tracing.samplingRule.ruleName;
export const samplingRate = tracing.fixedRate;
export const dbInstanceId = database.instance.identifier;
export const dbEndpoint = database.endpoint;
export const appSecretArn = dbSecrets.appSecretArn;
export const masterSecretArn = database.masterSecretArn;
export const performanceInsightsKmsKeyArn = keys.performanceInsightsKey.arn;
export const migrationsApplied = migrations.applied;
export const migrationsChecksum = migrations.checksum;
export const vpcId = network.vpcId;
// Identity (public identifiers: what a client needs to sign in; docs/AUTHENTICATION.md).
export const userPoolId = identity?.userPoolId;
export const userPoolClientId = identity?.clientId;
export const webAclArn = firewall?.webAcl.arn;
