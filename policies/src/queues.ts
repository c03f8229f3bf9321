import { FunctionEventInvokeConfig } from "@pulumi/aws/lambda/functionEventInvokeConfig";
import { Queue } from "@pulumi/aws/sqs/queue";
import { RedrivePolicy } from "@pulumi/aws/sqs/redrivePolicy";
import type { StackValidationPolicy } from "@pulumi/policy";
import { deadLetterQueues } from "./alarms";
import { lastArnSegment } from "./lib/aws";
import { notExempt, schema } from "./lib/config";
import { isSetOutput, known } from "./lib/preview";
import { dependenciesVia, label, ofType } from "./lib/stack";

const redriveSchema = schema({});

/** @internal */
export const sqsQueueRedrive: StackValidationPolicy = {
  name: "sqs-queue-redrive",
  description:
    "SQS queues must either have a redrive policy to a dead-letter queue or be one (a redrive or deadLetterConfig target, or a Lambda on-failure destination), so a message that keeps failing is set aside instead of retried forever (mirrors cdk-nag AwsSolutions-SQS3 and Serverless-SQSRedrivePolicy, Pulumi BP sqs-dead-letter-queue).",
  configSchema: redriveSchema,
  validateStack: (args, report) => {
    const queues = notExempt(ofType(args.resources, Queue), redriveSchema, args);
    if (queues.length === 0) args.notApplicable("no SQS queues");
    const covered = new Set(deadLetterQueues(args.resources).map((q) => q.urn));
    // Queues given a redrive policy by a separate aws.sqs.RedrivePolicy resource.
    for (const r of ofType(args.resources, RedrivePolicy)) {
      for (const q of dependenciesVia(r, ["queueUrl"])) covered.add(q.urn);
    }
    // Queues receiving Lambda's on-failure records: dead-letter stores in all but name.
    const names = new Map<string, string>();
    for (const q of queues) {
      const name = known(() => q.props.name as unknown);
      if (typeof name === "string") names.set(name, q.urn);
    }
    for (const c of ofType(args.resources, FunctionEventInvokeConfig)) {
      const deps = dependenciesVia(c, ["destinationConfig"]).filter((d) => d.isType(Queue));
      for (const q of deps) covered.add(q.urn);
      if (deps.length === 0) {
        const arn = known(() => c.props.destinationConfig?.onFailure?.destination as unknown);
        const urn = typeof arn === "string" ? names.get(lastArnSegment(arn)) : undefined;
        if (urn) covered.add(urn);
      }
    }
    for (const queue of queues) {
      if (covered.has(queue.urn) || isSetOutput(queue, "redrivePolicy")) continue;
      report(
        `${label("SQS queue", queue)} must have a redrive policy to a dead-letter queue (redrivePolicy), or be the dead-letter queue of another queue or function.`,
        queue.urn,
      );
    }
  },
};
