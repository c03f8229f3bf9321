import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as pulumi from "@pulumi/pulumi";
import { Alerting } from "../components/alerting";
import { DeadLetterQueue } from "../components/dead-letter-queue";
import { EncryptionKey, logGroupsKeyGrant } from "../components/encryption-key";
import type { InfraConfig } from "../config";
import { Naming, partitionOf } from "../lib/naming";

/** What every part of the stack is configured, named and placed by. */
export interface StackScope {
  cfg: InfraConfig;
  naming: Naming;
  region: string;
  partition: string;
  accountId: pulumi.Output<string>;
  /** This stack's EventBridge rules: the only ones that may use its key and dead-letter queue. */
  ruleArnPattern: pulumi.Output<string>;
}

export function stackScope(cfg: InfraConfig): StackScope {
  const naming = new Naming(cfg.project, cfg.stack);
  const partition = partitionOf(cfg.region);
  const accountId = getCallerIdentityOutput().accountId;
  return {
    cfg,
    naming,
    region: cfg.region,
    partition,
    accountId,
    ruleArnPattern: pulumi.interpolate`arn:${partition}:events:${cfg.region}:${accountId}:rule/${naming.prefix}-*`,
  };
}

/** The stack's three customer-managed keys, and what its log groups share. */
export interface StackKeys {
  /** Alarm topic, dead-letter queue, Lambda environments and log groups. */
  key: EncryptionKey;
  /** RDS storage and snapshots, both database secrets. */
  dataKey: EncryptionKey;
  /** Performance Insights data (query text, waits): its own key, its own grants. */
  performanceInsightsKey: EncryptionKey;
  /** Retention and key of every log group of the stack. */
  logs: { logRetentionInDays: number; logsKmsKeyArn: pulumi.Output<string> };
}

export function createKeys({
  cfg,
  naming,
  region,
  partition,
  accountId,
  ruleArnPattern,
}: StackScope): StackKeys {
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
  const dataKey = new EncryptionKey("data-key", {
    description: `${naming.prefix}: RDS storage and snapshots, database secrets`,
    aliasName: `${naming.prefix}-data`,
    accountId,
    partition,
  });
  const performanceInsightsKey = new EncryptionKey("pi-key", {
    description: `${naming.prefix}: RDS Performance Insights`,
    aliasName: `${naming.prefix}-performance-insights`,
    accountId,
    partition,
  });
  return {
    key,
    dataKey,
    performanceInsightsKey,
    logs: { logRetentionInDays: cfg.logs.retentionInDays, logsKmsKeyArn: key.arn },
  };
}
