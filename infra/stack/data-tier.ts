import { Database } from "../components/database";
import { DatabaseProxy } from "../components/database-proxy";
import { DatabaseSecrets } from "../components/db-secrets";
import { Network } from "../components/network";
import type { AlarmTarget } from "../lib/alarms";
import type { StackKeys, StackScope } from "./scope";

/** The data tier: the private network, PostgreSQL, its secrets, and RDS Proxy if configured. */
export interface DataTier {
  network: Network;
  database: Database;
  dbSecrets: DatabaseSecrets;
  /**
   * `database.pooler: rds-proxy`: the API and the worker reach PostgreSQL through RDS Proxy only
   * (their group allows 5432 to the proxy, not to the instance); the migration and rotation
   * functions keep their direct path.
   */
  dbProxy?: DatabaseProxy;
}

export function createDataTier(
  { cfg, naming, region, partition, accountId }: StackScope,
  { dataKey, performanceInsightsKey, logs }: StackKeys,
  alarmTarget: AlarmTarget,
): DataTier {
  const network = new Network("network", {
    namePrefix: naming.prefix,
    region,
    accountId,
    ...cfg.network,
    pooler: cfg.database.pooler,
  });
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
  return { network, database, dbSecrets, dbProxy };
}
