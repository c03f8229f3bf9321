import { Alias, Key } from "@pulumi/aws/kms";
import * as pulumi from "@pulumi/pulumi";
import { type ResourcePolicyStatement, resourcePolicyDocument } from "../lib/iam";

/** An AWS service that may use the key, and for what. */
export interface KeyServiceGrant {
  /** Statement id, e.g. `CloudWatchAlarmsPublishToEncryptedTopic`. */
  sid: string;
  /** Service principal, e.g. `cloudwatch.amazonaws.com`. */
  service: string;
  /** KMS actions the service needs (never `kms:*`). */
  actions: string[];
  /**
   * Restricts the grant, e.g. to this account (`aws:SourceAccount`) or one rule (`aws:SourceArn`).
   * @default none (the service may use the key for any of its callers in AWS's own example policies)
   */
  condition?: ResourcePolicyStatement["Condition"];
}

/**
 * The stack's EventBridge rules (`ruleArnPattern`, e.g. `arn:aws:events:<region>:<account>:rule/huntaze-api-prod-*`)
 * may encrypt what they deliver to a target on the key. One statement per kind of target, each
 * with its own `sid`, so the key policy says what each grant is for.
 */
export function eventRulesKeyGrant(
  sid: string,
  ruleArnPattern: pulumi.Input<string>,
): KeyServiceGrant {
  return {
    sid,
    service: "events.amazonaws.com",
    actions: ["kms:Decrypt", "kms:GenerateDataKey"],
    condition: { ArnLike: { "aws:SourceArn": ruleArnPattern } },
  };
}

/**
 * CloudWatch Logs encrypts the stack's log groups (function logs, API logs, the RDS postgresql
 * export with statement text) with the key, and only this account's log groups in this region:
 * without the grant, creating an encrypted group fails.
 */
export function logGroupsKeyGrant(where: {
  region: string;
  partition: string;
  accountId: pulumi.Input<string>;
}): KeyServiceGrant {
  return {
    sid: "CloudWatchLogsEncryptsLogGroups",
    service: `logs.${where.region}.amazonaws.com`,
    actions: [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ],
    condition: {
      ArnLike: {
        "kms:EncryptionContext:aws:logs:arn": pulumi.interpolate`arn:${where.partition}:logs:${where.region}:${where.accountId}:log-group:*`,
      },
    },
  };
}

export interface EncryptionKeyArgs {
  /** What the key protects; shown in the KMS console. */
  description: string;
  /** `alias/<aliasName>` is created for it. */
  aliasName: string;
  accountId: pulumi.Input<string>;
  partition: string;
  /**
   * AWS services allowed to use the key beyond the account's IAM principals: each component that
   * encrypts with the key on a service's behalf says what it needs (e.g.
   * `Alerting.cloudWatchAlarmsKeyGrant()`, `logGroupsKeyGrant`). @default []
   */
  serviceGrants?: KeyServiceGrant[];
  /**
   * Days KMS waits before deleting the key once scheduled (7–30): everything encrypted with it
   * becomes unreadable afterwards, so the maximum is the safe choice.
   * @default 30
   */
  deletionWindowInDays?: number;
}

/**
 * A customer-managed KMS key with yearly automatic rotation. A CMK, not an AWS-managed key,
 * because only a CMK's key policy can let AWS services such as CloudWatch use it: a topic on
 * `alias/aws/sns` silently drops alarm notifications.
 */
export class EncryptionKey extends pulumi.ComponentResource {
  readonly key: Key;
  readonly alias: Alias;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: EncryptionKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:EncryptionKey", name, {}, opts);
    const parent = this;

    const statements = normalizeStatements();
    this.key = createKey();
    this.alias = createAlias(this.key);
    this.arn = this.key.arn;
    this.registerOutputs({ arn: this.arn, aliasName: this.alias.name });

    function normalizeStatements(): ResourcePolicyStatement[] {
      for (const grant of args.serviceGrants ?? []) {
        if (grant.actions.some((a) => a === "*" || a === "kms:*")) {
          throw new Error(
            `${name}: the key grant ${grant.sid} must list its KMS actions, not "kms:*"`,
          );
        }
      }
      return [
        {
          // The account root statement is what lets IAM policies grant use of the key at all;
          // without it the key could become unmanageable. It is AWS's default key policy.
          Sid: "EnableIamPoliciesOfThisAccount",
          Effect: "Allow",
          Principal: { AWS: pulumi.interpolate`arn:${args.partition}:iam::${args.accountId}:root` },
          Action: ["kms:*"],
          Resource: "*",
        },
        ...(args.serviceGrants ?? []).map(
          (grant): ResourcePolicyStatement => ({
            Sid: grant.sid,
            Effect: "Allow",
            Principal: { Service: grant.service },
            Action: grant.actions,
            // In a key policy "*" means "this key".
            Resource: "*",
            ...(grant.condition ? { Condition: grant.condition } : {}),
          }),
        ),
      ];
    }

    function createKey(): Key {
      return new Key(
        `${name}-key`,
        {
          description: args.description,
          enableKeyRotation: true,
          deletionWindowInDays: args.deletionWindowInDays ?? 30,
          policy: resourcePolicyDocument(statements),
        },
        { parent },
      );
    }

    function createAlias(key: Key): Alias {
      return new Alias(
        `${name}-alias`,
        { name: `alias/${args.aliasName}`, targetKeyId: key.keyId },
        { parent },
      );
    }
  }
}
