import * as assert from "node:assert/strict";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Role } from "@pulumi/aws/iam/role";
import { Alias as KmsAlias } from "@pulumi/aws/kms/alias";
import { Key as KmsKey } from "@pulumi/aws/kms/key";
import {
  cloudwatchLogGroupCmk,
  cloudwatchLogGroupLongRetention,
} from "../../policies/src/log-groups";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNoResourceViolations,
  assertNoStackViolations,
  createResourceValidationArgs,
  createStackValidationArgs,
  res,
  UNKNOWN,
} from "./helpers";

describe("#cloudwatch-log-group-long-retention", () => {
  const policy = cloudwatchLogGroupLongRetention;
  const args = (retentionInDays: number | undefined, config?: Record<string, unknown>) =>
    createResourceValidationArgs(
      LogGroup,
      { name: "/aws/lambda/huntaze-api-prod-api", retentionInDays },
      { policy, config },
    );

  it("is advisory by default, since the project keeps 30 days", () => {
    assert.equal(policy.enforcementLevel, "advisory");
  });

  it("passes a year, and a group that never expires", async () => {
    await assertNoResourceViolations(policy, args(365));
    await assertNoResourceViolations(policy, args(undefined));
  });

  it("reports 30 days against the 365-day default", async () => {
    await assertHasResourceViolation(policy, args(30), {
      message: "CloudWatch log group must keep logs for at least 365 days (retentionInDays is 30).",
    });
  });

  it("takes the minimum from the config", async () => {
    await assertNoResourceViolations(policy, args(30, { minRetentionDays: 30 }));
  });
});

describe("#cloudwatch-log-group-cmk", () => {
  const policy = cloudwatchLogGroupCmk;
  const logsStatement = {
    Sid: "CloudWatchLogsEncryptsLogGroups",
    Effect: "Allow",
    Principal: { Service: "logs.us-east-1.amazonaws.com" },
    Action: [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ],
    Resource: "*",
    Condition: {
      ArnLike: {
        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*",
      },
    },
  };
  const keyPolicy = (...statements: unknown[]) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123456789012:root" },
          Action: "kms:*",
          Resource: "*",
        },
        ...statements,
      ],
    });
  const stack = (policyDoc: string | undefined, groupProps: Record<string, unknown> = {}) => {
    const key = res(KmsKey, "key", { enableKeyRotation: true, policy: policyDoc });
    const group = res(
      LogGroup,
      "api-logs",
      {
        name: "/aws/lambda/huntaze-api-prod-api",
        retentionInDays: 30,
        kmsKeyId: UNKNOWN,
        ...groupProps,
      },
      groupProps.kmsKeyId === undefined && "kmsKeyId" in groupProps ? {} : { kmsKeyId: [key] },
    );
    return createStackValidationArgs([key, group], { policy });
  };

  it("passes a group on an in-stack key (ARN unknown at preview) whose policy grants CloudWatch Logs", async () => {
    await assertNoStackViolations(policy, stack(keyPolicy(logsStatement)));
  });

  it("fails a group without kmsKeyId", async () => {
    await assertHasStackViolation(
      policy,
      stack(keyPolicy(logsStatement), { kmsKeyId: undefined }),
      {
        message:
          'CloudWatch log group "api-logs" must be encrypted with a customer-managed KMS key (kmsKeyId).',
        resource: "api-logs",
      },
    );
  });

  it("fails a key whose policy does not grant CloudWatch Logs", async () => {
    await assertHasStackViolation(policy, stack(keyPolicy()), {
      message:
        'KMS key "key" of log group "api-logs" must let CloudWatch Logs use it: its key policy must grant the logs.<region>.amazonaws.com service principal.',
      resource: "key",
    });
  });

  it("fails a CloudWatch Logs grant that is not limited to log groups", async () => {
    const { Condition: _dropped, ...unscoped } = logsStatement;
    await assertHasStackViolation(policy, stack(keyPolicy(unscoped)), {
      message: "condition on kms:EncryptionContext:aws:logs:arn",
    });
  });

  it("follows an alias to its key", async () => {
    const key = res(KmsKey, "key", { enableKeyRotation: true, policy: keyPolicy() });
    const alias = res(
      KmsAlias,
      "alias",
      { name: "alias/logs", targetKeyId: UNKNOWN },
      { targetKeyId: [key] },
    );
    const group = res(LogGroup, "api-logs", { kmsKeyId: UNKNOWN }, { kmsKeyId: [alias] });
    await assertHasStackViolation(
      policy,
      createStackValidationArgs([key, alias, group], { policy }),
      {
        message: "must grant the logs.<region>.amazonaws.com service principal",
        resource: "key",
      },
    );
  });

  it("skips the grant check when the key policy is built from another resource (unknown at preview)", async () => {
    const role = res(Role, "admin", { assumeRolePolicy: "{}" });
    const key = res(
      KmsKey,
      "key",
      { enableKeyRotation: true, policy: UNKNOWN },
      { policy: [role] },
    );
    const group = res(
      LogGroup,
      "api-logs",
      { name: "/aws/lambda/huntaze-api-prod-api", retentionInDays: 30, kmsKeyId: UNKNOWN },
      { kmsKeyId: [key] },
    );
    await assertNoStackViolations(
      policy,
      createStackValidationArgs([role, key, group], { policy }),
    );
  });

  it("judges AWS's default key policy when the program left it unset (unknown, linked to nothing)", async () => {
    await assertHasStackViolation(policy, stack(UNKNOWN), {
      message:
        "its key policy (AWS's default) must grant the logs.<region>.amazonaws.com service principal",
      resource: "key",
    });
  });
});
