import * as assert from "node:assert/strict";
import { MetricAlarm } from "@pulumi/aws/cloudwatch/metricAlarm";
import { Alias as KmsAlias } from "@pulumi/aws/kms/alias";
import { Key as KmsKey } from "@pulumi/aws/kms/key";
import { Topic } from "@pulumi/aws/sns/topic";
import { Queue } from "@pulumi/aws/sqs/queue";
import {
  alarmTopicCmk,
  keyPolicyAllowsCloudWatch,
  sqsQueueEncryption,
} from "../../policies/src/messaging";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNeedsUnknownValue,
  assertNoResourceViolations,
  assertNoStackViolations,
  assertStackNotApplicable,
  createResourceValidationArgs,
  createStackValidationArgs,
  res,
  UNKNOWN,
} from "./helpers";

function keyPolicy(cloudwatchActions: string[] | null): string {
  const statements: unknown[] = [
    {
      Sid: "Root",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:root" },
      Action: "kms:*",
      Resource: "*",
    },
  ];
  if (cloudwatchActions) {
    statements.push({
      Sid: "CloudWatchAlarms",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: cloudwatchActions,
      Resource: "*",
    });
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

describe("#alarm-topic-cmk", () => {
  const policy = alarmTopicCmk;
  const key = (actions: string[] | null = ["kms:Decrypt", "kms:GenerateDataKey*"]) =>
    res(KmsKey, "alerts-key", { policy: keyPolicy(actions) });
  const stack = (
    k = key(),
    topicProps: Record<string, unknown> = {},
    topicDeps: Record<string, never[]> | undefined = undefined,
  ) => {
    const topic = res(
      Topic,
      "alerts",
      { name: "huntaze-api-prod-alarms", kmsMasterKeyId: UNKNOWN, ...topicProps },
      topicDeps ?? { kmsMasterKeyId: [k] as never[] },
    );
    const alarm = res(MetricAlarm, "err", { alarmActions: [UNKNOWN] }, { alarmActions: [topic] });
    return [k, topic, alarm];
  };

  it("passes an alarm topic on an in-stack CMK that grants CloudWatch, ARNs unknown", async () => {
    await assertNoStackViolations(policy, createStackValidationArgs(stack()));
  });

  it("passes a topic encrypted through an in-stack alias of such a key", async () => {
    const k = key();
    const alias = res(
      KmsAlias,
      "alerts-alias",
      { name: "alias/huntaze", targetKeyId: UNKNOWN },
      { targetKeyId: [k] },
    );
    const topic = res(Topic, "alerts", { kmsMasterKeyId: UNKNOWN }, { kmsMasterKeyId: [alias] });
    const alarm = res(MetricAlarm, "err", { alarmActions: [UNKNOWN] }, { alarmActions: [topic] });
    await assertNoStackViolations(policy, createStackValidationArgs([k, alias, topic, alarm]));
  });

  it("fails a topic on the AWS-managed alias/aws/sns key", async () => {
    const args = createStackValidationArgs(stack(key(), { kmsMasterKeyId: "alias/aws/sns" }, {}));
    await assertHasStackViolation(policy, args, {
      message:
        'Alarm topic "alerts" must be encrypted with a customer-managed KMS key (kmsMasterKeyId): alias/aws/sns is an AWS-managed key, which CloudWatch alarms cannot publish to.',
    });
  });

  it("fails an unencrypted alarm topic", async () => {
    const args = createStackValidationArgs(stack(key(), { kmsMasterKeyId: undefined }, {}));
    await assertHasStackViolation(policy, args, { message: "it is not encrypted" });
  });

  it("fails a key whose policy does not let CloudWatch use it, unless the config waives the check", async () => {
    const args = createStackValidationArgs(stack(key(null)));
    await assertHasStackViolation(policy, args, {
      message:
        'KMS key "alerts-key" of alarm topic "alerts" must let cloudwatch.amazonaws.com use it (kms:Decrypt and kms:GenerateDataKey* in its key policy), or alarm notifications are dropped.',
      resource: "alerts-key",
    });
    await assertNoStackViolations(
      policy,
      createStackValidationArgs(stack(key(null)), { config: { requireCloudWatchKeyGrant: false } }),
    );
  });

  it("fails a key that grants CloudWatch decrypt only", async () => {
    await assertHasStackViolation(policy, createStackValidationArgs(stack(key(["kms:Decrypt"]))), {
      message: "must let cloudwatch.amazonaws.com use it",
    });
  });

  it("ignores topics no alarm notifies", async () => {
    const topic = res(Topic, "other", { kmsMasterKeyId: undefined });
    await assertStackNotApplicable(
      policy,
      createStackValidationArgs([topic]),
      /no SNS topic is an alarm target/,
    );
  });

  it("cannot judge a key policy built from another resource while it is unknown", async () => {
    const role = res(Topic, "other", { name: "x" });
    const k = res(KmsKey, "alerts-key", { policy: UNKNOWN }, { policy: [role] });
    await assertNeedsUnknownValue(policy, createStackValidationArgs([role, ...stack(k)]));
  });

  it("reads a key policy the program left unset (unknown, from no resource) as AWS's default, which does not let CloudWatch in", async () => {
    const k = res(KmsKey, "alerts-key", { policy: UNKNOWN });
    await assertHasStackViolation(policy, createStackValidationArgs(stack(k)), {
      message:
        'KMS key "alerts-key" of alarm topic "alerts" must let cloudwatch.amazonaws.com use it',
    });
  });

  it("reads key policies as AWS does: kms:* and GenerateDataKey wildcards count", () => {
    assert.equal(keyPolicyAllowsCloudWatch(keyPolicy(["kms:*"])), true);
    assert.equal(
      keyPolicyAllowsCloudWatch(keyPolicy(["kms:Decrypt", "kms:GenerateDataKey"])),
      true,
    );
    assert.equal(keyPolicyAllowsCloudWatch("not json"), false);
  });
});

describe("#sqs-queue-encryption", () => {
  const policy = sqsQueueEncryption;
  const happy = (props: Record<string, unknown> = {}, config?: Record<string, unknown>) =>
    createResourceValidationArgs(
      Queue,
      {
        name: "huntaze-api-prod-worker-dlq",
        kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/abc",
        ...props,
      },
      { config },
    );

  it("passes a queue on a customer-managed key", async () => {
    await assertNoResourceViolations(policy, happy({}, { requireCmk: true }));
  });

  it("passes a kmsMasterKeyId unknown at preview (a key this deploy creates; no resource creates an AWS-managed key)", async () => {
    await assertNoResourceViolations(
      policy,
      happy({ kmsMasterKeyId: UNKNOWN }, { requireCmk: true }),
    );
  });

  it("passes a queue left on SSE-SQS, AWS's default, when no CMK is required", async () => {
    await assertNoResourceViolations(policy, happy({ kmsMasterKeyId: undefined }));
  });

  it("fails a queue with SSE-SQS turned off and no key", async () => {
    await assertHasResourceViolation(
      policy,
      happy({ kmsMasterKeyId: undefined, sqsManagedSseEnabled: false }),
      {
        message:
          "SQS queue must be encrypted: set kmsMasterKeyId or leave sqsManagedSseEnabled on.",
      },
    );
  });

  it("requires a customer-managed key when the config says so", async () => {
    await assertHasResourceViolation(
      policy,
      happy({ kmsMasterKeyId: undefined }, { requireCmk: true }),
      {
        message: "SQS queue must be encrypted with a customer-managed KMS key (kmsMasterKeyId).",
      },
    );
    await assertHasResourceViolation(
      policy,
      happy({ kmsMasterKeyId: "alias/aws/sqs" }, { requireCmk: true }),
      {
        message: "alias/aws/sqs is an AWS-managed key",
      },
    );
  });
});
