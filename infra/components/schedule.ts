import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as lambda from "@pulumi/aws/lambda";
import * as pulumi from "@pulumi/pulumi";

export interface ScheduleArgs {
  /** Physical EventBridge rule name. */
  ruleName: string;
  /** `cron(...)` or `rate(...)`, in UTC. */
  scheduleExpression: string;
  /** The function to invoke (asynchronously: that is what makes its DLQ receive failures). */
  functionName: pulumi.Input<string>;
  functionArn: pulumi.Input<string>;
  /** Where EventBridge puts an event it could not deliver to the function. */
  deadLetterQueueArn: pulumi.Input<string>;
  /** @default "Nightly run" */
  description?: string;
  /** EventBridge's delivery retries before the DLQ (0–185). @default 3 */
  maxDeliveryRetries?: number;
  /** Oldest an undelivered event may get before the DLQ (60–86400 s). @default 3600 */
  maxDeliveryAgeSeconds?: number;
}

/**
 * An EventBridge schedule invoking a function asynchronously. Two failure paths both end in the
 * DLQ: the function failing every attempt (the function's `deadLetterConfig`) and EventBridge
 * failing to deliver at all (the target's `deadLetterConfig`).
 */
export class Schedule extends pulumi.ComponentResource {
  readonly rule: cloudwatch.EventRule;
  readonly permission: lambda.Permission;
  readonly target: cloudwatch.EventTarget;

  constructor(name: string, args: ScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:Schedule", name, {}, opts);
    const parent = this;

    this.rule = createRule();
    this.permission = createPermission(this.rule);
    this.target = createTarget(this.rule, this.permission);
    this.registerOutputs({ ruleArn: this.rule.arn });

    function createRule(): cloudwatch.EventRule {
      return new cloudwatch.EventRule(
        `${name}-rule`,
        {
          name: args.ruleName,
          description: args.description ?? "Nightly run",
          scheduleExpression: args.scheduleExpression,
        },
        { parent },
      );
    }

    function createPermission(rule: cloudwatch.EventRule): lambda.Permission {
      return new lambda.Permission(
        `${name}-permission`,
        {
          action: "lambda:InvokeFunction",
          function: args.functionName,
          principal: "events.amazonaws.com",
          // Only this rule, not any rule of any account.
          sourceArn: rule.arn,
        },
        { parent },
      );
    }

    function createTarget(
      rule: cloudwatch.EventRule,
      permission: lambda.Permission,
    ): cloudwatch.EventTarget {
      return new cloudwatch.EventTarget(
        `${name}-target`,
        {
          rule: rule.name,
          arn: args.functionArn,
          retryPolicy: {
            maximumRetryAttempts: args.maxDeliveryRetries ?? 3,
            maximumEventAgeInSeconds: args.maxDeliveryAgeSeconds ?? 3600,
          },
          deadLetterConfig: { arn: args.deadLetterQueueArn },
        },
        // The first scheduled event must find the invoke permission in place.
        { parent, dependsOn: [permission] },
      );
    }
  }
}
