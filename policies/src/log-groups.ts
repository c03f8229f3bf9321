import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Alias as KmsAlias } from "@pulumi/aws/kms/alias";
import { Key as KmsKey } from "@pulumi/aws/kms/key";
import type {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { isAwsManagedKey } from "./lib/aws";
import {
  configOf,
  type ExemptionConfig,
  notExempt,
  schema,
  validateUnlessExempt,
} from "./lib/config";
import { isSetOutput, known } from "./lib/preview";
import { dependenciesVia, label, ofType } from "./lib/stack";

// ---------------------------------------------------------------------------------------------

export interface LongRetentionConfig extends ExemptionConfig {
  minRetentionDays: number;
}

const longRetentionSchema = schema({
  minRetentionDays: {
    type: "integer",
    minimum: 1,
    default: 365,
    description:
      "Shortest retention accepted, in days (Checkov CKV_AWS_338 and AWS Config's MinRetentionTime default: 365).",
  },
});

/** @internal */
export const cloudwatchLogGroupLongRetention: ResourceValidationPolicy = {
  name: "cloudwatch-log-group-long-retention",
  description:
    "CloudWatch log groups should keep logs for at least the configured minimum, 365 days by default, or forever (mirrors Checkov CKV_AWS_338 and AWS Config cw-loggroup-retention-period-check's MinRetentionTime); advisory because this project keeps 30 days (logRetentionDays) to bound cost and the personal data in logs; cloudwatch-log-group-retention enforces that floor.",
  enforcementLevel: "advisory",
  configSchema: longRetentionSchema,
  validateResource: validateUnlessExempt(
    LogGroup,
    longRetentionSchema,
    (logGroup, args, report) => {
      const { minRetentionDays } = configOf<LongRetentionConfig>(longRetentionSchema, args);
      // Unset or 0 keeps logs forever, which satisfies a minimum.
      const days = known(() => logGroup.retentionInDays);
      if (typeof days === "number" && days > 0 && days < minRetentionDays) {
        report(
          `CloudWatch log group must keep logs for at least ${minRetentionDays} days (retentionInDays is ${days}).`,
        );
      }
    },
  ),
};

// ---------------------------------------------------------------------------------------------

interface Statement {
  Effect?: string;
  Principal?: { Service?: string | string[] } | string;
  Action?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** Actions CloudWatch Logs needs on a log group's key ("Encrypt log data using AWS KMS"). */
const LOGS_KEY_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey"];

function grants(actions: string[], action: string): boolean {
  return actions.some(
    (a) => a === "kms:*" || a === action || (a.endsWith("*") && action.startsWith(a.slice(0, -1))),
  );
}

/**
 * What is missing for CloudWatch Logs to use a key with this policy: a statement for the regional
 * `logs.<region>.amazonaws.com` principal granting the encryption actions, limited to log groups
 * by the `kms:EncryptionContext:aws:logs:arn` condition. Undefined when nothing is missing.
 */
export function logsKeyGrantProblem(policy: string): string | undefined {
  let doc: { Statement?: Statement | Statement[] };
  try {
    doc = JSON.parse(policy);
  } catch {
    return "its key policy is not JSON";
  }
  const statements = [doc.Statement ?? []].flat();
  const forLogs = statements.filter(
    (s) =>
      s.Effect === "Allow" &&
      typeof s.Principal === "object" &&
      [s.Principal.Service ?? []].flat().some((p) => /^logs\.[a-z0-9-]+\.amazonaws\.com$/.test(p)),
  );
  if (forLogs.length === 0) {
    return "its key policy must grant the logs.<region>.amazonaws.com service principal";
  }
  const actions = forLogs.flatMap((s) => [s.Action ?? []].flat());
  const missing = LOGS_KEY_ACTIONS.filter((a) => !grants(actions, a));
  if (missing.length > 0) {
    return `its key policy must grant logs.<region>.amazonaws.com ${missing.join(", ")}`;
  }
  const scoped = forLogs.some((s) =>
    Object.values(s.Condition ?? {}).some((c) => "kms:EncryptionContext:aws:logs:arn" in c),
  );
  if (!scoped) {
    return "its key policy must limit the CloudWatch Logs grant to log groups (condition on kms:EncryptionContext:aws:logs:arn)";
  }
  return undefined;
}

export interface LogGroupCmkConfig extends ExemptionConfig {
  requireLogsKeyGrant: boolean;
}

const logGroupCmkSchema = schema({
  requireLogsKeyGrant: {
    type: "boolean",
    default: true,
    description:
      "For keys created in this stack, also require the key policy to grant CloudWatch Logs (logs.<region>.amazonaws.com, scoped by kms:EncryptionContext:aws:logs:arn); without it creating the log group fails.",
  },
});

/** The in-stack keys behind a log group's kmsKeyId: the key itself, or the key an alias targets. */
function keysOf(logGroup: PolicyResource): PolicyResource[] {
  const deps = dependenciesVia(logGroup, ["kmsKeyId"]);
  return [
    ...deps.filter((d) => d.isType(KmsKey)),
    ...deps
      .filter((d) => d.isType(KmsAlias))
      .flatMap((a) => dependenciesVia(a, ["targetKeyId"]).filter((k) => k.isType(KmsKey))),
  ];
}

/** @internal */
export const cloudwatchLogGroupCmk: StackValidationPolicy = {
  name: "cloudwatch-log-group-cmk",
  description:
    "CloudWatch log groups must be encrypted with a customer-managed KMS key (kmsKeyId) whose policy lets CloudWatch Logs use it for log groups: logs may hold statement text and request details (mirrors Checkov CKV_AWS_158, cdk-nag CloudWatchLogGroupEncrypted and AWS Config cloudwatch-log-group-encrypted).",
  configSchema: logGroupCmkSchema,
  validateStack: (args, report) => {
    const { requireLogsKeyGrant } = configOf<LogGroupCmkConfig>(logGroupCmkSchema, args);
    const logGroups = notExempt(ofType(args.resources, LogGroup), logGroupCmkSchema, args);
    if (logGroups.length === 0) args.notApplicable("no CloudWatch log groups");
    const judgedKeys = new Map<string, string | undefined>();
    for (const lg of logGroups) {
      if (!isSetOutput(lg, "kmsKeyId")) {
        report(
          `${label("CloudWatch log group", lg)} must be encrypted with a customer-managed KMS key (kmsKeyId).`,
          lg.urn,
        );
        continue;
      }
      const keyId = known(() => lg.props.kmsKeyId as unknown);
      if (typeof keyId === "string" && isAwsManagedKey(keyId)) {
        report(
          `${label("CloudWatch log group", lg)} must be encrypted with a customer-managed KMS key (kmsKeyId ${keyId} is AWS-managed).`,
          lg.urn,
        );
        continue;
      }
      if (!requireLogsKeyGrant) continue;
      for (const key of keysOf(lg)) {
        if (!judgedKeys.has(key.urn)) {
          // A policy built from values unknown until the update cannot be judged at preview.
          const policy = known(() => key.props.policy as unknown);
          judgedKeys.set(
            key.urn,
            typeof policy === "string"
              ? logsKeyGrantProblem(policy)
              : policy === undefined && !isSetOutput(key, "policy")
                ? "its key policy (AWS's default) must grant the logs.<region>.amazonaws.com service principal"
                : undefined,
          );
        }
        const problem = judgedKeys.get(key.urn);
        if (problem) {
          report(
            `${label("KMS key", key)} of log group "${lg.name}" must let CloudWatch Logs use it: ${problem}.`,
            key.urn,
          );
        }
      }
    }
  },
};
