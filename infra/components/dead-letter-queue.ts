import * as sqs from "@pulumi/aws/sqs";
import * as pulumi from "@pulumi/pulumi";
import { type ResourcePolicyStatement, resourcePolicyDocument } from "../lib/iam";
import { eventRulesKeyGrant, type KeyServiceGrant } from "./encryption-key";

export interface DeadLetterQueueArgs {
  /** Physical queue name. */
  queueName: string;
  /** Customer-managed key the queue is encrypted with. */
  kmsKeyArn: pulumi.Input<string>;
  /** Days a failed event is kept (1–14). @default 14 (the SQS maximum: time to investigate) */
  retentionDays?: number;
  /**
   * EventBridge rules (ARN pattern, `*` allowed) that may send the events they failed to
   * deliver here. @default none
   */
  eventBridgeSourceArnPattern?: pulumi.Input<string>;
}

/**
 * An SQS dead-letter queue on the CMK. A Lambda DLQ only ever receives failed *asynchronous*
 * invocations (here: the scheduled worker); synchronous API requests have no DLQ by AWS design.
 */
export class DeadLetterQueue extends pulumi.ComponentResource {
  readonly queue: sqs.Queue;
  readonly policy: sqs.QueuePolicy;
  readonly queueName: string;
  readonly arn: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;

  /**
   * What the queue's key must allow for the EventBridge rules of `eventBridgeSourceArnPattern`:
   * they write the events they could not deliver to the encrypted queue.
   */
  static eventRulesKeyGrant(ruleArnPattern: pulumi.Input<string>): KeyServiceGrant {
    return eventRulesKeyGrant("EventBridgeWritesEncryptedDeadLetters", ruleArnPattern);
  }

  constructor(name: string, args: DeadLetterQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:DeadLetterQueue", name, {}, opts);
    const parent = this;

    const retentionDays = normalizeRetention();
    this.queueName = args.queueName;
    this.queue = createQueue();
    this.policy = createPolicy(this.queue);
    this.arn = this.queue.arn;
    this.url = this.queue.url;
    this.registerOutputs({ arn: this.arn, url: this.url });

    function normalizeRetention(): number {
      const days = args.retentionDays ?? 14;
      if (!Number.isInteger(days) || days < 1 || days > 14) {
        throw new Error(`${name}: retentionDays must be an integer in [1, 14], not ${days}`);
      }
      return days;
    }

    function createQueue(): sqs.Queue {
      return new sqs.Queue(
        `${name}-queue`,
        {
          name: args.queueName,
          kmsMasterKeyId: args.kmsKeyArn,
          // Fewer KMS calls (cost) for a data key reused up to 5 minutes: AWS's default.
          kmsDataKeyReusePeriodSeconds: 300,
          messageRetentionSeconds: retentionDays * 86400,
        },
        { parent },
      );
    }

    function createPolicy(queue: sqs.Queue): sqs.QueuePolicy {
      const statements: ResourcePolicyStatement[] = [
        {
          // Plain-HTTP access would expose failed events in transit (AwsSolutions-SQS4).
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: ["sqs:*"],
          Resource: queue.arn,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ];
      if (args.eventBridgeSourceArnPattern !== undefined) {
        statements.push({
          Sid: "EventBridgeDeadLetters",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: ["sqs:SendMessage"],
          Resource: queue.arn,
          Condition: { ArnLike: { "aws:SourceArn": args.eventBridgeSourceArnPattern } },
        });
      }
      return new sqs.QueuePolicy(
        `${name}-policy`,
        { queueUrl: queue.url, policy: resourcePolicyDocument(statements) },
        { parent },
      );
    }
  }
}
