import { Key as KmsKey } from "@pulumi/aws/kms/key";
import { FunctionEventInvokeConfig } from "@pulumi/aws/lambda/functionEventInvokeConfig";
import { Queue } from "@pulumi/aws/sqs/queue";
import { kmsKeyRotation } from "../../policies/src/kms";
import { sqsQueueRedrive } from "../../policies/src/queues";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNoResourceViolations,
  assertNoStackViolations,
  assertResourceNotApplicable,
  createResourceValidationArgs,
  createStackValidationArgs,
  res,
  UNKNOWN,
} from "./helpers";

describe("#sqs-queue-redrive", () => {
  const policy = sqsQueueRedrive;
  const dlq = res(Queue, "dlq", { name: "jobs-dlq" });

  it("passes a queue redriving to a dead-letter queue, and that queue", async () => {
    const jobs = res(
      Queue,
      "jobs",
      { name: "jobs", redrivePolicy: UNKNOWN },
      { redrivePolicy: [dlq] },
    );
    await assertNoStackViolations(policy, createStackValidationArgs([dlq, jobs], { policy }));
  });

  it("fails a queue that is neither", async () => {
    const jobs = res(Queue, "jobs", { name: "jobs" });
    await assertHasStackViolation(policy, createStackValidationArgs([dlq, jobs], { policy }), {
      message:
        'SQS queue "dlq" must have a redrive policy to a dead-letter queue (redrivePolicy), or be the dead-letter queue of another queue or function.',
      resource: "dlq",
    });
  });

  it("fails, at a first preview, a queue whose redrivePolicy is unknown only because AWS computes it", async () => {
    // Unset in the program, the output is unknown on a new stack and linked to nothing.
    const jobs = res(Queue, "jobs", { name: "jobs", redrivePolicy: UNKNOWN });
    const worker = res(
      FunctionEventInvokeConfig,
      "worker-async",
      { functionName: "worker", destinationConfig: { onFailure: { destination: UNKNOWN } } },
      { destinationConfig: [dlq] },
    );
    await assertHasStackViolation(
      policy,
      createStackValidationArgs([dlq, jobs, worker], { policy }),
      {
        message:
          'SQS queue "jobs" must have a redrive policy to a dead-letter queue (redrivePolicy), or be the dead-letter queue of another queue or function.',
        resource: "jobs",
      },
    );
  });

  it("counts a Lambda on-failure destination as a dead-letter queue", async () => {
    const config = res(
      FunctionEventInvokeConfig,
      "worker-async",
      { functionName: "worker", destinationConfig: { onFailure: { destination: UNKNOWN } } },
      { destinationConfig: [dlq] },
    );
    await assertNoStackViolations(policy, createStackValidationArgs([dlq, config], { policy }));
  });
});

describe("#kms-key-rotation", () => {
  const policy = kmsKeyRotation;
  const args = (props: Record<string, unknown>) =>
    createResourceValidationArgs(KmsKey, { description: "data", ...props }, { policy });

  it("passes a rotating symmetric key", async () => {
    await assertNoResourceViolations(policy, args({ enableKeyRotation: true }));
  });

  it("fails a key without rotation (off by default)", async () => {
    await assertHasResourceViolation(policy, args({}), {
      message: "KMS key must rotate its key material automatically (enableKeyRotation: true).",
    });
  });

  it("does not judge asymmetric keys, which cannot rotate", async () => {
    await assertResourceNotApplicable(
      policy,
      args({ customerMasterKeySpec: "RSA_3072" }),
      /RSA_3072 keys cannot rotate/,
    );
  });
});
