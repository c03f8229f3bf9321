import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as iam from "@pulumi/aws/iam";
import * as lambda from "@pulumi/aws/lambda";
import * as pulumi from "@pulumi/pulumi";
import { isSecretName, secretValueKind } from "../../policies/src/lib/secret-names";
import type { ApplicationLogLevel, SystemLogLevel } from "../config";
import { type Bundle, type BundleOptions, bundleFunction } from "../lib/bundle";
import { type PolicyExemption, policyExemptionTags } from "../lib/exemptions";
import { assumeRolePolicy, type PolicyStatement, rolePolicyDocument } from "../lib/iam";
import type { FunctionAlarmsInput, InvocationPattern } from "./alarms";

export interface LambdaFunctionArgs {
  /**
   * Physical function name. Set explicitly so the `/aws/lambda/<name>` log group can exist
   * before the function (otherwise Lambda creates one that never expires).
   */
  functionName: string;
  /** Entry module exporting `handler`, relative to the project root (`handlers/api.ts`). */
  entry: string;
  /** @default none */
  description?: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** Reserved concurrency (≥ 1): caps the function and sets that capacity aside for it. */
  reservedConcurrency: number;
  logRetentionInDays: number;
  /**
   * Customer-managed key encrypting the function's log group; its key policy must let
   * `logs.<region>.amazonaws.com` use it for log groups, or creating the group fails.
   */
  logsKmsKeyArn: pulumi.Input<string>;
  applicationLogLevel: ApplicationLogLevel;
  systemLogLevel: SystemLogLevel;
  /**
   * Customer-managed key encrypting the environment variables at rest (the role may decrypt
   * with it). Environment values are identifiers and ARNs only, never secrets.
   */
  kmsKeyArn: pulumi.Input<string>;
  /**
   * Environment variables. Names or values that look like secrets (passwords, tokens, URLs with
   * credentials) are rejected: pass a secret's ARN and read it at run time instead.
   * @default {}
   */
  environment?: Record<string, pulumi.Input<string>>;
  /**
   * Queue receiving asynchronous invocations that failed every attempt (SQS, KMS-encrypted).
   * Only asynchronous invocations ever reach it.
   * @default none
   */
  deadLetterQueue?: { arn: pulumi.Input<string>; kmsKeyArn: pulumi.Input<string> };
  /**
   * Bounds on Lambda's own handling of asynchronous invocations. `recordFailures` also sends each
   * failed invocation's record (the event with the error and the attempts, which the dead-letter
   * copy lacks) to `deadLetterQueue` as the on-failure destination.
   * @default none (Lambda's defaults: 2 retries, events kept up to 6 hours, no destination)
   */
  asyncInvoke?: { maxRetries: number; maxEventAgeSeconds: number; recordFailures?: boolean };
  /**
   * Runs the function in a VPC (the data tier: private RDS). Adds the network-interface
   * permissions Lambda needs.
   * @default none (no VPC)
   */
  vpc?: { subnetIds: pulumi.Input<string>[]; securityGroupIds: pulumi.Input<string>[] };
  /**
   * Secrets Manager secrets the function may read (`secretsmanager:GetSecretValue`).
   * @default []
   */
  readSecretArns?: pulumi.Input<string>[];
  /**
   * KMS keys the function may decrypt with, beyond its environment key (e.g. the key of a
   * secret it reads).
   * @default []
   */
  decryptKeyArns?: pulumi.Input<string>[];
  /** More role statements (no `*` actions). @default [] */
  extraStatements?: PolicyStatement[];
  /**
   * Bundler settings (tests point them at a temporary directory; `assets` ships files beside
   * `index.js`). @default the project's `.build/`, no assets
   */
  bundle?: Pick<BundleOptions, "outRoot" | "cache" | "assets">;
  /**
   * Exemptions of the function from policies of the pack, each with its owner, reason and last
   * day, declared as `policy-exemption:<policy>` tags on the function (infra/lib/exemptions.ts).
   * @default []
   */
  policyExemptions?: PolicyExemption[];
}

/**
 * Throws if an environment variable holds (or is named like) a secret value: the same rules as
 * the policy pack's lambda-environment-no-secrets, caught before anything is deployed.
 */
export function assertNoSecretEnvironment(
  owner: string,
  environment: Record<string, pulumi.Input<string>>,
): void {
  for (const [key, value] of Object.entries(environment)) {
    if (isSecretName(key)) {
      throw new Error(
        `${owner}: environment variable ${key} looks like a secret; store the value in Secrets Manager and pass its ARN (e.g. ${key}_ARN)`,
      );
    }
    const kind = secretValueKind(value);
    if (kind) {
      throw new Error(
        `${owner}: environment variable ${key} holds ${kind}; store it in Secrets Manager and pass the secret's ARN`,
      );
    }
  }
}

/**
 * A Lambda function built from `handlers/` with its own log group (30-day retention, created
 * first), structured JSON logging, active X-Ray tracing, a CMK-encrypted environment, explicit
 * limits, and a role that can do only what this function needs.
 */
export class LambdaFunction extends pulumi.ComponentResource {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly rolePolicy: iam.RolePolicy;
  readonly logGroup: cloudwatch.LogGroup;
  readonly eventInvokeConfig?: lambda.FunctionEventInvokeConfig;
  readonly bundle: Bundle;
  /** Physical name, known before deploy. */
  readonly functionName: string;
  readonly arn: pulumi.Output<string>;
  readonly invokeArn: pulumi.Output<string>;

  /**
   * This function's alarms (error rate, duration p95, throttles) as `Alarms` takes them: named
   * after `subject`, evaluated as its `invocation` pattern, created after the function.
   */
  alarmsInput(watch: {
    subject: string;
    invocation: InvocationPattern;
    durationP95Ms: number;
  }): FunctionAlarmsInput {
    return { ...watch, functionName: this.functionName, resource: this.function };
  }

  constructor(name: string, args: LambdaFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:Function", name, {}, opts);
    const parent = this;

    const environment = normalizeEnvironment();
    const tags = normalizeTags();
    this.functionName = args.functionName;
    this.bundle = bundleFunction({ name, entry: args.entry, ...args.bundle });
    this.logGroup = createLogGroup();
    this.role = createRole();
    this.rolePolicy = createRolePolicy(this.role, this.logGroup);
    this.function = createFunction(this.role, this.rolePolicy, this.logGroup, this.bundle);
    this.eventInvokeConfig = createEventInvokeConfig(this.function);
    this.arn = this.function.arn;
    this.invokeArn = this.function.invokeArn;

    this.registerOutputs({
      functionName: this.function.name,
      arn: this.arn,
      logGroupName: this.logGroup.name,
      codeHash: this.bundle.hash,
    });

    function normalizeEnvironment(): Record<string, pulumi.Input<string>> {
      const env = args.environment ?? {};
      assertNoSecretEnvironment(name, env);
      return env;
    }

    function normalizeTags(): Record<string, string> | undefined {
      const exemptions = args.policyExemptions ?? [];
      return exemptions.length > 0
        ? policyExemptionTags(`${name}-function`, exemptions)
        : undefined;
    }

    function createLogGroup(): cloudwatch.LogGroup {
      return new cloudwatch.LogGroup(
        `${name}-log-group`,
        {
          name: `/aws/lambda/${args.functionName}`,
          retentionInDays: args.logRetentionInDays,
          kmsKeyId: args.logsKmsKeyArn,
        },
        { parent },
      );
    }

    function createRole(): iam.Role {
      return new iam.Role(
        `${name}-role`,
        {
          description: `Execution role of ${args.functionName}`,
          assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
        },
        { parent },
      );
    }

    function createRolePolicy(role: iam.Role, logGroup: cloudwatch.LogGroup): iam.RolePolicy {
      const statements: PolicyStatement[] = [
        {
          // Only its own group, and no logs:CreateLogGroup: Lambda cannot recreate the group
          // without retention if someone deletes it.
          Sid: "WriteOwnLogGroup",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
        },
        {
          // X-Ray supports no resource-level permissions for these two actions: AWS requires
          // Resource "*" here. The actions themselves are listed, not "*" or "xray:*".
          Sid: "SendTraces",
          Effect: "Allow",
          Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
          Resource: "*",
        },
        {
          Sid: "DecryptOwnEnvironment",
          Effect: "Allow",
          Action: ["kms:Decrypt"],
          Resource: args.kmsKeyArn,
        },
      ];
      if (args.deadLetterQueue) {
        statements.push(
          {
            Sid: "SendToDeadLetterQueue",
            Effect: "Allow",
            Action: ["sqs:SendMessage"],
            Resource: args.deadLetterQueue.arn,
          },
          {
            // Sending to a KMS-encrypted queue needs a data key from the queue's key.
            Sid: "EncryptDeadLetters",
            Effect: "Allow",
            Action: ["kms:GenerateDataKey", "kms:Decrypt"],
            Resource: args.deadLetterQueue.kmsKeyArn,
          },
        );
      }
      if (args.readSecretArns && args.readSecretArns.length > 0) {
        statements.push({
          Sid: "ReadSecrets",
          Effect: "Allow",
          Action: ["secretsmanager:GetSecretValue"],
          Resource: args.readSecretArns,
        });
      }
      if (args.decryptKeyArns && args.decryptKeyArns.length > 0) {
        statements.push({
          Sid: "DecryptWithKeys",
          Effect: "Allow",
          Action: ["kms:Decrypt"],
          Resource: args.decryptKeyArns,
        });
      }
      if (args.vpc) {
        statements.push({
          // Lambda manages the function's network interfaces with the execution role; these
          // EC2 actions do not support resource-level scoping for Describe, and AWS's managed
          // AWSLambdaVPCAccessExecutionRole grants the same set on "*".
          Sid: "ManageVpcNetworkInterfaces",
          Effect: "Allow",
          Action: [
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
          ],
          Resource: "*",
        });
      }
      statements.push(...(args.extraStatements ?? []));
      return new iam.RolePolicy(
        `${name}-role-policy`,
        { role: role.id, policy: rolePolicyDocument(name, statements) },
        { parent },
      );
    }

    function createFunction(
      role: iam.Role,
      rolePolicy: iam.RolePolicy,
      logGroup: cloudwatch.LogGroup,
      bundle: Bundle,
    ): lambda.Function {
      return new lambda.Function(
        `${name}-function`,
        {
          name: args.functionName,
          description: args.description,
          role: role.arn,
          runtime: "nodejs22.x",
          architectures: ["arm64"],
          handler: "index.handler",
          code: new pulumi.asset.FileArchive(bundle.archivePath),
          sourceCodeHash: bundle.sourceCodeHash,
          memorySize: args.memoryMb,
          timeout: args.timeoutSeconds,
          reservedConcurrentExecutions: args.reservedConcurrency,
          tracingConfig: { mode: "Active" },
          loggingConfig: {
            logFormat: "JSON",
            applicationLogLevel: args.applicationLogLevel,
            systemLogLevel: args.systemLogLevel,
            logGroup: logGroup.name,
          },
          kmsKeyArn: args.kmsKeyArn,
          environment: { variables: environment },
          deadLetterConfig: args.deadLetterQueue
            ? { targetArn: args.deadLetterQueue.arn }
            : undefined,
          vpcConfig: args.vpc
            ? { subnetIds: args.vpc.subnetIds, securityGroupIds: args.vpc.securityGroupIds }
            : undefined,
          tags,
        },
        // The group exists (with retention) before the first invocation can create one, and
        // the role can write to it from the first invocation on.
        { parent, dependsOn: [logGroup, rolePolicy] },
      );
    }

    function createEventInvokeConfig(
      fn: lambda.Function,
    ): lambda.FunctionEventInvokeConfig | undefined {
      if (!args.asyncInvoke) return undefined;
      if (args.asyncInvoke.recordFailures && !args.deadLetterQueue) {
        throw new Error(
          `${name}: asyncInvoke.recordFailures sends failure records to deadLetterQueue; set deadLetterQueue too`,
        );
      }
      return new lambda.FunctionEventInvokeConfig(
        `${name}-async-config`,
        {
          functionName: fn.name,
          maximumRetryAttempts: args.asyncInvoke.maxRetries,
          maximumEventAgeInSeconds: args.asyncInvoke.maxEventAgeSeconds,
          // Lambda sends with the function's role, which may already send to the queue.
          destinationConfig:
            args.asyncInvoke.recordFailures && args.deadLetterQueue
              ? { onFailure: { destination: args.deadLetterQueue.arn } }
              : undefined,
        },
        { parent },
      );
    }
  }
}
