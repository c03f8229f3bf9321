import { Alerting } from "../components/alerting";
import { DeadLetterQueue } from "../components/dead-letter-queue";
import type { AlarmTarget } from "../lib/alarms";
import type { StackKeys, StackScope } from "./scope";

/** Where alarms and failed events go: the alarm topic and the worker's dead-letter queue. */
export interface StackAlerting {
  alerting: Alerting;
  /** Every alarm's actions and runbook link. */
  alarmTarget: AlarmTarget;
  dlq: DeadLetterQueue;
}

export function createAlerting(
  { cfg, naming, ruleArnPattern }: StackScope,
  { key }: StackKeys,
): StackAlerting {
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
  return {
    alerting,
    alarmTarget: { naming, topicArn: alerting.topicArn, runbookBaseUrl: cfg.runbookBaseUrl },
    dlq,
  };
}
