import { createHash } from "node:crypto";
import { Topic, TopicSubscription } from "@pulumi/aws/sns";
import * as pulumi from "@pulumi/pulumi";
import { eventRulesKeyGrant, type KeyServiceGrant } from "./encryption-key";

export interface AlertingArgs {
  /** Physical topic name. */
  topicName: string;
  /**
   * ARN of the customer-managed key the topic is encrypted with. Its key policy must let
   * `cloudwatch.amazonaws.com` use it (see `EncryptionKey`), or alarm notifications are dropped.
   */
  kmsKeyArn: pulumi.Input<string>;
  /**
   * Addresses subscribed by e-mail. Each receives a confirmation message and gets nothing until
   * it clicks the link: a subscription stays "pending confirmation" after `pulumi up`.
   */
  emails: string[];
}

/** The alarm topic: encrypted with the CMK, with e-mail subscriptions. */
export class Alerting extends pulumi.ComponentResource {
  readonly topic: Topic;
  readonly subscriptions: TopicSubscription[];
  readonly topicArn: pulumi.Output<string>;

  /**
   * What the topic's key must allow: CloudWatch alarms publish to the encrypted topic as
   * `cloudwatch.amazonaws.com`; without this grant SNS rejects the publish and the notification
   * is silently lost.
   */
  static cloudWatchAlarmsKeyGrant(): KeyServiceGrant {
    return {
      sid: "CloudWatchAlarmsPublishToEncryptedTopic",
      service: "cloudwatch.amazonaws.com",
      actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
    };
  }

  /**
   * What the topic's key must allow for the stack's EventBridge rules that publish to it (the
   * secret-rotation-failed rule of `DatabaseAlarms`).
   */
  static eventRulesKeyGrant(ruleArnPattern: pulumi.Input<string>): KeyServiceGrant {
    return eventRulesKeyGrant("EventBridgePublishesToEncryptedTopic", ruleArnPattern);
  }

  constructor(name: string, args: AlertingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:Alerting", name, {}, opts);
    const parent = this;

    const emails = normalizeEmails();
    this.topic = createTopic();
    this.subscriptions = createSubscriptions(this.topic);
    this.topicArn = this.topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });

    function normalizeEmails(): string[] {
      const unique = [...new Set(args.emails.map((e) => e.trim().toLowerCase()))];
      if (unique.length === 0) {
        throw new Error(`${name}: at least one alert e-mail address is required`);
      }
      return unique;
    }

    function createTopic(): Topic {
      return new Topic(
        `${name}-topic`,
        { name: args.topicName, kmsMasterKeyId: args.kmsKeyArn },
        { parent },
      );
    }

    function createSubscriptions(topic: Topic): TopicSubscription[] {
      // Named by a hash of the address, so reordering the list replaces nothing.
      return emails.map(
        (email) =>
          new TopicSubscription(
            `${name}-email-${createHash("sha256").update(email).digest("hex").slice(0, 8)}`,
            { topic: topic.arn, protocol: "email", endpoint: email },
            { parent },
          ),
      );
    }
  }
}
