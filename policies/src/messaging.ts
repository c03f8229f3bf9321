import { MetricAlarm } from "@pulumi/aws/cloudwatch/metricAlarm";
import { Alias as KmsAlias } from "@pulumi/aws/kms/alias";
import { Key as KmsKey } from "@pulumi/aws/kms/key";
import { Topic } from "@pulumi/aws/sns/topic";
import { Queue } from "@pulumi/aws/sqs/queue";
import type {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { isCustomerManagedKey, lastArnSegment } from "./lib/aws";
import {
  configOf,
  type ExemptionConfig,
  notExempt,
  schema,
  validateUnlessExempt,
} from "./lib/config";
import { outputOrAwsDefault, readKnown } from "./lib/known";
import { dependenciesVia, indexReferences, label, ofType } from "./lib/stack";

const ALARM_ACTION_PROPERTIES = ["alarmActions", "okActions", "insufficientDataActions"];

/** SNS topics that some alarm in the stack notifies. */
export function alarmTopics(resources: PolicyResource[]): PolicyResource[] {
  // A literal action ARN names its topic in its last segment.
  const topicsOf = indexReferences(
    ofType(resources, Topic),
    (topic) => [topic.props.name],
    lastArnSegment,
  );
  const targets = new Map<string, PolicyResource>();
  for (const alarm of ofType(resources, MetricAlarm)) {
    const literal = () =>
      ALARM_ACTION_PROPERTIES.flatMap((p) => (alarm.props[p] as string[] | undefined) ?? []);
    for (const t of topicsOf(alarm, ALARM_ACTION_PROPERTIES, literal)) {
      targets.set(t.urn, t);
    }
  }
  return [...targets.values()];
}

interface Statement {
  Effect?: string;
  Principal?: { Service?: string | string[] } | string;
  Action?: string | string[];
}

/** True when the key policy lets CloudWatch decrypt and generate data keys with the key. */
export function keyPolicyAllowsCloudWatch(policy: unknown): boolean {
  if (typeof policy !== "string" || policy === "") return false;
  let doc: { Statement?: Statement | Statement[] };
  try {
    doc = JSON.parse(policy);
  } catch {
    return false; // Not JSON: AWS rejects the key policy before anything is deployed.
  }
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement ?? {}];
  const granted = new Set<string>();
  for (const s of statements) {
    if (s.Effect !== "Allow" || typeof s.Principal !== "object") continue;
    const services = [s.Principal.Service ?? []].flat();
    if (!services.includes("cloudwatch.amazonaws.com")) continue;
    for (const a of [s.Action ?? []].flat()) granted.add(a);
  }
  const allows = (action: string) =>
    granted.has("kms:*") ||
    granted.has(action) ||
    (action === "kms:GenerateDataKey" && granted.has("kms:GenerateDataKey*"));
  return allows("kms:Decrypt") && allows("kms:GenerateDataKey");
}

// ---------------------------------------------------------------------------------------------

export interface AlarmTopicCmkConfig extends ExemptionConfig {
  requireCloudWatchKeyGrant: boolean;
}

const alarmTopicSchema = schema({
  requireCloudWatchKeyGrant: {
    type: "boolean",
    default: true,
    description:
      "Require the topic's in-stack key policy to grant cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*, without which alarm notifications are dropped.",
  },
});

/** @internal */
export const alarmTopicCmk: StackValidationPolicy = {
  name: "alarm-topic-cmk",
  description:
    "SNS topics that alarms notify must be encrypted with a customer-managed KMS key whose policy lets CloudWatch use it, since alarms cannot publish to a topic on the AWS-managed alias/aws/sns key (mirrors Checkov CKV_AWS_26, cdk-nag SNSEncryptedKMS and AWS Config sns-encrypted-kms, stricter on the key).",
  configSchema: alarmTopicSchema,
  validateStack: (args, report) => {
    const { requireCloudWatchKeyGrant } = configOf<AlarmTopicCmkConfig>(alarmTopicSchema, args);
    const aliases = ofType(args.resources, KmsAlias);
    const topics = notExempt(alarmTopics(args.resources), alarmTopicSchema, args);
    if (topics.length === 0) args.notApplicable("no SNS topic is an alarm target");
    for (const topic of topics) {
      const deps = dependenciesVia(topic, ["kmsMasterKeyId"]);
      // An alias created in this stack stands for the key it targets.
      const keys = [
        ...deps.filter((d) => d.isType(KmsKey)),
        ...deps
          .filter((d) => d.isType(KmsAlias))
          .flatMap((a) => dependenciesVia(a, ["targetKeyId"]).filter((k) => k.isType(KmsKey))),
      ];
      if (keys.length === 0) {
        // No key of this stack behind it: judge the value (a literal, or from another resource).
        if (deps.some((d) => aliases.includes(d))) continue;
        // Unknown here (built from another resource that is no key of this stack) cannot be judged
        // at preview: the read throws and the policy reports that it cannot run.
        const keyId = topic.props.kmsMasterKeyId as string | undefined;
        if (!isCustomerManagedKey(keyId)) {
          report(
            `${label("Alarm topic", topic)} must be encrypted with a customer-managed KMS key (kmsMasterKeyId): ${
              keyId
                ? `${keyId} is an AWS-managed key, which CloudWatch alarms cannot publish to`
                : "it is not encrypted"
            }.`,
            topic.urn,
          );
        }
        continue;
      }
      if (!requireCloudWatchKeyGrant) continue;
      for (const key of keys) {
        // Unset, AWS gives the key its default policy (the account only).
        if (!keyPolicyAllowsCloudWatch(outputOrAwsDefault(key, "policy", undefined))) {
          report(
            `${label("KMS key", key)} of alarm topic "${topic.name}" must let cloudwatch.amazonaws.com use it (kms:Decrypt and kms:GenerateDataKey* in its key policy), or alarm notifications are dropped.`,
            key.urn,
          );
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------

export interface QueueEncryptionConfig extends ExemptionConfig {
  requireCmk: boolean;
}

const queueEncryptionSchema = schema({
  requireCmk: {
    type: "boolean",
    default: false,
    description: "Require a customer-managed KMS key (Checkov CKV2_AWS_73) rather than SSE-SQS.",
  },
});

/** @internal */
export const sqsQueueEncryption: ResourceValidationPolicy = {
  name: "sqs-queue-encryption",
  description:
    "SQS queues must be encrypted at rest, with a customer-managed KMS key when the config says so (mirrors Checkov CKV_AWS_27 and CKV2_AWS_73, cdk-nag AwsSolutions-SQS2 and AWS Config sqs-queue-encrypted).",
  configSchema: queueEncryptionSchema,
  validateResource: validateUnlessExempt(Queue, queueEncryptionSchema, (queue, args, report) => {
    const { requireCmk } = configOf<QueueEncryptionConfig>(queueEncryptionSchema, args);
    const key = readKnown(() => queue.kmsMasterKeyId);
    if (requireCmk) {
      if (!isCustomerManagedKey(key)) {
        report(
          `SQS queue must be encrypted with a customer-managed KMS key (kmsMasterKeyId)${typeof key === "string" && key ? `: ${key} is an AWS-managed key` : ""}.`,
        );
      }
    } else if (key === undefined && queue.sqsManagedSseEnabled === false) {
      // Unset means SSE-SQS: AWS encrypts new queues by default since October 2022.
      report("SQS queue must be encrypted: set kmsMasterKeyId or leave sqsManagedSseEnabled on.");
    }
  }),
};
