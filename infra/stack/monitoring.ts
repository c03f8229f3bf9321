import { Alarms } from "../components/alarms";
import { Dashboard } from "../components/dashboard";
import { DatabaseAlarms } from "../components/database-alarms";
import { appMetric } from "../lib/alarms";
import type { StackAlerting } from "./alerting";
import type { DataTier } from "./data-tier";
import type { DeployJobs } from "./deploy-jobs";
import type { Edge } from "./edge";
import type { StackFunctions } from "./functions";
import type { StackScope } from "./scope";

/** The alarms of every part, and the dashboard graphing what they watch. */
export interface Monitoring {
  alarms: Alarms;
  dbAlarms: DatabaseAlarms;
  dashboard: Dashboard;
  /** Every alarm of the stack by physical name: the deploy tool checks them. */
  alarmNames: string[];
}

export function createMonitoring(
  { cfg, naming, region, accountId }: StackScope,
  { alarmTarget, dlq }: StackAlerting,
  { database, dbSecrets, dbProxy }: DataTier,
  { alarmsInputs }: StackFunctions,
  { restApi, firewall }: Edge,
  { migrations }: DeployJobs,
): Monitoring {
  const alarms = new Alarms("alarms", {
    target: alarmTarget,
    errorRatePercent: cfg.alarms.errorRatePercent,
    functions: [...alarmsInputs, migrations.alarmsInput],
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
  const alarmed = [
    alarms,
    dbAlarms,
    ...(dbProxy ? [dbProxy] : []),
    ...(firewall ? [firewall] : []),
  ];
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
  return { alarms, dbAlarms, dashboard, alarmNames: alarmed.flatMap((part) => part.alarmNames) };
}
