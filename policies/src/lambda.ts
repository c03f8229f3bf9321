import { EventTarget } from "@pulumi/aws/cloudwatch/eventTarget";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { FunctionEventInvokeConfig } from "@pulumi/aws/lambda/functionEventInvokeConfig";
import { FunctionUrl } from "@pulumi/aws/lambda/functionUrl";
import { Permission } from "@pulumi/aws/lambda/permission";
import { BucketNotification } from "@pulumi/aws/s3/bucketNotification";
import { TopicSubscription } from "@pulumi/aws/sns/topicSubscription";
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { lastArnSegment } from "./lib/aws";
import {
  configOf,
  type ExemptionConfig,
  notExempt,
  schema,
  validateUnlessExempt,
} from "./lib/config";
import { isSet, isSetOutput, known } from "./lib/preview";
import { dependenciesVia, isLiteral, label, ofType } from "./lib/stack";

/**
 * Service principals that invoke a function asynchronously (Lambda's "Invoking functions
 * asynchronously": S3, SNS, EventBridge, SES, CloudWatch Logs, IoT, CodeCommit, Config…).
 */
const ASYNC_PRINCIPALS = new Set([
  "events.amazonaws.com",
  "sns.amazonaws.com",
  "s3.amazonaws.com",
  "ses.amazonaws.com",
  "iot.amazonaws.com",
  "codecommit.amazonaws.com",
  "config.amazonaws.com",
  "logs.amazonaws.com",
]);

function isAsyncPrincipal(principal: unknown): boolean {
  return (
    typeof principal === "string" &&
    (ASYNC_PRINCIPALS.has(principal) || /^logs\.[a-z0-9-]+\.amazonaws\.com$/.test(principal))
  );
}

/**
 * The functions of the stack that something invokes asynchronously, found once per stack: a
 * permission for an asynchronous service, an EventBridge target, an SNS subscription, an S3
 * notification, or an event-invoke config. Links are taken from property dependencies, or from
 * literal names and ARNs (`…:function:<name>`), never from provider-computed values.
 */
export function asyncFunctions(resources: PolicyResource[]): Map<string, PolicyResource> {
  const functions = ofType(resources, LambdaFunction);
  const byName = new Map<string, PolicyResource>();
  for (const fn of functions) {
    const name = isLiteral(fn, ["name"]) ? known(() => fn.props.name as unknown) : undefined;
    if (typeof name === "string") byName.set(name, fn);
  }
  const result = new Map<string, PolicyResource>();
  const link = (source: PolicyResource, property: string, literal: () => unknown) => {
    const deps = dependenciesVia(source, [property]).filter((d) => d.isType(LambdaFunction));
    if (deps.length > 0) {
      for (const fn of deps) result.set(fn.urn, fn);
      return;
    }
    const values = [known(literal)].flat();
    for (const value of values) {
      if (typeof value !== "string") continue;
      const name = value.includes(":function:")
        ? value.split(":function:")[1].split(":")[0]
        : lastArnSegment(value);
      const fn = byName.get(name);
      if (fn) result.set(fn.urn, fn);
    }
  };
  for (const p of ofType(resources, Permission)) {
    if (isAsyncPrincipal(known(() => p.props.principal))) {
      link(p, "function", () => p.props.function);
    }
  }
  for (const c of ofType(resources, FunctionEventInvokeConfig)) {
    link(c, "functionName", () => c.props.functionName);
  }
  for (const t of ofType(resources, EventTarget)) link(t, "arn", () => t.props.arn);
  for (const s of ofType(resources, TopicSubscription)) {
    if (known(() => s.props.protocol) === "lambda") link(s, "endpoint", () => s.props.endpoint);
  }
  for (const n of ofType(resources, BucketNotification)) {
    link(n, "lambdaFunctions", () =>
      ((n.props.lambdaFunctions ?? []) as Array<{ lambdaFunctionArn?: string }>).map(
        (f) => f.lambdaFunctionArn,
      ),
    );
  }
  return result;
}

// ---------------------------------------------------------------------------------------------

export interface DeadLetterQueueConfig extends ExemptionConfig {
  asyncOnly: boolean;
}

const deadLetterQueueSchema = schema({
  asyncOnly: {
    type: "boolean",
    default: true,
    description:
      "Judge only functions the stack invokes asynchronously (a DLQ never receives a synchronous invocation such as an API Gateway request); false judges every function, as Checkov CKV_AWS_116 does.",
  },
});

/** @internal */
export const lambdaDeadLetterQueue: StackValidationPolicy = {
  name: "lambda-dead-letter-queue",
  description:
    "Lambda functions invoked asynchronously (EventBridge, SNS, S3, an event-invoke config…) must have a dead-letter queue (deadLetterConfig.targetArn); only asynchronous invocations ever reach it, so synchronous-only functions are not judged unless asyncOnly is false (mirrors Checkov CKV_AWS_116, cdk-nag LambdaDLQ, AWS Config lambda-dlq-check, Pulumi BP lambda-dead-letter-queue-required).",
  configSchema: deadLetterQueueSchema,
  validateStack: (args, report) => {
    const { asyncOnly } = configOf<DeadLetterQueueConfig>(deadLetterQueueSchema, args);
    const candidates = asyncOnly
      ? [...asyncFunctions(args.resources).values()]
      : ofType(args.resources, LambdaFunction);
    const functions = notExempt(candidates, deadLetterQueueSchema, args);
    if (functions.length === 0) args.notApplicable("no Lambda function is invoked asynchronously");
    for (const fn of functions) {
      if (!isSetOutput(fn, "deadLetterConfig", "targetArn")) {
        report(
          `${label("Lambda function", fn)} must have a dead-letter queue for its failed asynchronous invocations (deadLetterConfig.targetArn).`,
          fn.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------

export interface AsyncFailureDestinationConfig extends ExemptionConfig {
  acceptDeadLetterQueue: boolean;
}

const asyncFailureSchema = schema({
  acceptDeadLetterQueue: {
    type: "boolean",
    default: false,
    description:
      "Accept a dead-letter queue instead of an on-failure destination (a DLQ keeps the event only; a destination also records the error and the attempts).",
  },
});

/** @internal */
export const lambdaAsyncFailureDestination: StackValidationPolicy = {
  name: "lambda-async-failure-destination",
  description:
    "Lambda functions invoked asynchronously must send failed invocations to an on-failure destination (aws.lambda.FunctionEventInvokeConfig destinationConfig.onFailure), whose record carries the error and attempt count (mirrors cdk-nag Serverless-LambdaAsyncFailureDestination).",
  configSchema: asyncFailureSchema,
  validateStack: (args, report) => {
    const { acceptDeadLetterQueue } = configOf<AsyncFailureDestinationConfig>(
      asyncFailureSchema,
      args,
    );
    const functions = notExempt(
      [...asyncFunctions(args.resources).values()],
      asyncFailureSchema,
      args,
    );
    if (functions.length === 0) args.notApplicable("no Lambda function is invoked asynchronously");
    // Function URN → whether one of its invoke configs has an on-failure destination.
    const withDestination = new Set<string>();
    const functionsByName = new Map<string, PolicyResource>();
    for (const fn of functions) {
      const name = isLiteral(fn, ["name"]) ? known(() => fn.props.name as unknown) : undefined;
      if (typeof name === "string") functionsByName.set(name, fn);
    }
    for (const c of ofType(args.resources, FunctionEventInvokeConfig)) {
      if (!isSetOutput(c, "destinationConfig", "onFailure", "destination")) continue;
      const deps = dependenciesVia(c, ["functionName"]);
      const targets =
        deps.length > 0
          ? deps
          : [functionsByName.get(lastArnSegment(String(known(() => c.props.functionName))))];
      for (const t of targets) if (t) withDestination.add(t.urn);
    }
    for (const fn of functions) {
      if (withDestination.has(fn.urn)) continue;
      if (acceptDeadLetterQueue && isSetOutput(fn, "deadLetterConfig", "targetArn")) continue;
      report(
        `${label("Lambda function", fn)} must send failed asynchronous invocations to an on-failure destination (a FunctionEventInvokeConfig with destinationConfig.onFailure).`,
        fn.urn,
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------

const concurrencySchema = schema({});

/** @internal */
export const lambdaConcurrencyLimit: ResourceValidationPolicy = {
  name: "lambda-concurrency-limit",
  description:
    "Lambda functions must reserve a concurrency limit (reservedConcurrentExecutions ≥ 1; unset or -1 means unreserved, 0 means throttled), so one function cannot starve the account or its database (mirrors Checkov CKV_AWS_115, cdk-nag LambdaConcurrency, AWS Config lambda-concurrency-check, Pulumi BP lambda-concurrent-execution-limits-required).",
  configSchema: concurrencySchema,
  validateResource: validateUnlessExempt(LambdaFunction, concurrencySchema, (fn, _args, report) => {
    if (!isSet(fn, "reservedConcurrentExecutions")) {
      report(
        "Lambda function must set a concurrency limit (reservedConcurrentExecutions ≥ 1; unset means unreserved).",
      );
      return;
    }
    const limit = known(() => fn.reservedConcurrentExecutions);
    if (typeof limit === "number" && limit < 1) {
      report(
        `Lambda function must set a concurrency limit of at least 1 (reservedConcurrentExecutions is ${limit}: ${limit === 0 ? "every invocation is throttled" : "unreserved"}).`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

const vpcSchema = schema({});

/** @internal */
export const lambdaInVpc: ResourceValidationPolicy = {
  name: "lambda-in-vpc",
  description:
    "Lambda functions must run in a VPC (vpcConfig with subnets), where security groups and VPC endpoints govern what they reach (mirrors Checkov CKV_AWS_117, cdk-nag LambdaInsideVPC and AWS Config lambda-inside-vpc).",
  configSchema: vpcSchema,
  validateResource: validateUnlessExempt(LambdaFunction, vpcSchema, (fn, _args, report) => {
    if (!isSet(fn, "vpcConfig", "subnetIds")) {
      report("Lambda function must run in a VPC (vpcConfig.subnetIds).");
    } else if (!isSet(fn, "vpcConfig", "securityGroupIds")) {
      report(
        "Lambda function must run in a VPC with a security group (vpcConfig.securityGroupIds).",
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

const codeSigningSchema = schema({});

/** @internal */
export const lambdaCodeSigning: ResourceValidationPolicy = {
  name: "lambda-code-signing",
  description:
    "Lambda functions should verify signed code (codeSigningConfigArn) (mirrors Checkov CKV_AWS_272); advisory because this project builds and deploys each bundle in one pipeline with a content hash (sourceCodeHash) and does not run AWS Signer; a stack that adopts signing can make it mandatory.",
  enforcementLevel: "advisory",
  configSchema: codeSigningSchema,
  validateResource: validateUnlessExempt(LambdaFunction, codeSigningSchema, (fn, _args, report) => {
    if (!isSet(fn, "codeSigningConfigArn")) {
      report("Lambda function must verify code signatures (codeSigningConfigArn).");
    }
  }),
};

// ---------------------------------------------------------------------------------------------

export interface RuntimeConfig extends ExemptionConfig {
  deprecatedRuntimes: string[];
}

/**
 * Runtimes Lambda had deprecated by December 2026 (the "Deprecated runtimes" table of Lambda's
 * runtimes page). A list in config, not code: add to it as AWS deprecates more.
 */
const DEPRECATED_RUNTIMES = [
  "nodejs",
  "nodejs4.3",
  "nodejs4.3-edge",
  "nodejs6.10",
  "nodejs8.10",
  "nodejs10.x",
  "nodejs12.x",
  "nodejs14.x",
  "nodejs16.x",
  "nodejs18.x",
  "nodejs20.x",
  "python2.7",
  "python3.6",
  "python3.7",
  "python3.8",
  "python3.9",
  "java8",
  "go1.x",
  "dotnetcore1.0",
  "dotnetcore2.0",
  "dotnetcore2.1",
  "dotnetcore3.1",
  "dotnet5.0",
  "dotnet6",
  "dotnet7",
  "ruby2.5",
  "ruby2.7",
  "ruby3.2",
  "provided",
];

const runtimeSchema = schema({
  deprecatedRuntimes: {
    type: "array",
    items: { type: "string" },
    default: DEPRECATED_RUNTIMES,
    description:
      "Runtime identifiers Lambda has deprecated (no security patches; creating or updating such functions is later blocked).",
  },
});

/** @internal */
export const lambdaRuntimeCurrent: ResourceValidationPolicy = {
  name: "lambda-runtime-current",
  description:
    "Lambda functions deployed as .zip archives must name a runtime that Lambda has not deprecated (mirrors Checkov CKV_AWS_363, cdk-nag AwsSolutions-L1 and Serverless-LambdaLatestVersion, AWS Config lambda-function-settings-check).",
  configSchema: runtimeSchema,
  validateResource: validateUnlessExempt(LambdaFunction, runtimeSchema, (fn, args, report) => {
    const { deprecatedRuntimes } = configOf<RuntimeConfig>(runtimeSchema, args);
    // Container images carry their runtime in the image.
    if (fn.packageType === "Image") args.notApplicable("container image function");
    if (!isSet(fn, "runtime")) {
      report("Lambda function must name its runtime (runtime), e.g. nodejs22.x.");
      return;
    }
    const runtime = known(() => fn.runtime);
    if (typeof runtime === "string" && deprecatedRuntimes.includes(runtime)) {
      report(
        `Lambda function must use a runtime Lambda still supports (runtime ${runtime} is deprecated).`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

const limitsSchema = schema({});

/** @internal */
export const lambdaExplicitLimits: ResourceValidationPolicy = {
  name: "lambda-explicit-limits",
  description:
    "Lambda functions must set their timeout and memory explicitly instead of Lambda's defaults of 3 seconds and 128 MB (mirrors cdk-nag Serverless-LambdaDefaultTimeout and Serverless-LambdaDefaultMemorySize, AWS Config lambda-function-settings-check, Pulumi BP limit-lambda-execution-time).",
  configSchema: limitsSchema,
  validateResource: validateUnlessExempt(LambdaFunction, limitsSchema, (fn, _args, report) => {
    if (!isSet(fn, "timeout")) {
      report("Lambda function must set its timeout explicitly (timeout; unset means 3 seconds).");
    }
    if (!isSet(fn, "memorySize")) {
      report("Lambda function must set its memory explicitly (memorySize; unset means 128 MB).");
    }
  }),
};

// ---------------------------------------------------------------------------------------------

const notPublicSchema = schema({});

const permissionIsScoped = validateUnlessExempt(
  Permission,
  notPublicSchema,
  (permission, _args, report) => {
    const principal = known(() => permission.principal);
    if (principal === "*") {
      report('Lambda permission must not let everyone invoke the function (principal is "*").');
    } else if (
      typeof principal === "string" &&
      principal.endsWith(".amazonaws.com") &&
      !isSet(permission, "sourceArn") &&
      !isSet(permission, "sourceAccount") &&
      !isSet(permission, "principalOrgId")
    ) {
      report(
        `Lambda permission must scope ${principal} to a resource (sourceArn) or account (sourceAccount), or any account's resources of that service may invoke the function.`,
      );
    }
  },
) as (args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void>;

const urlRequiresAuth = validateUnlessExempt(FunctionUrl, notPublicSchema, (url, _args, report) => {
  if (known(() => url.authorizationType) === "NONE") {
    report("Lambda function URL must require IAM authentication (authorizationType is NONE).");
  }
}) as (args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void>;

/** @internal */
export const lambdaNotPublic: ResourceValidationPolicy = {
  name: "lambda-not-public",
  description:
    'Lambda functions must not be invocable by anyone: no permission for principal "*", service principals scoped by sourceArn or sourceAccount (else any account\'s resource of that service may invoke), and no function URL without authentication (mirrors Checkov CKV_AWS_301, cdk-nag LambdaFunctionPublicAccessProhibited, AWS Config lambda-function-public-access-prohibited, CP aws-lambda-permission-configure-source-arn).',
  configSchema: notPublicSchema,
  validateResource: (args, report) => {
    // One validation per type: validateResourceOfType stands down on any other type.
    if (args.isType(Permission)) return permissionIsScoped(args, report);
    if (args.isType(FunctionUrl)) return urlRequiresAuth(args, report);
    args.notApplicable("not a Lambda permission or function URL");
  },
};
