import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Secret } from "@pulumi/aws/secretsmanager/secret";
import { CloudFormationStack } from "@pulumi/aws/serverlessrepository/cloudFormationStack";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyStatement } from "../lib/iam";

/**
 * AWS's alternating-users PostgreSQL rotation function in the Serverless Application
 * Repository, per partition, at a pinned version (as CDK's `SecretRotationApplication` pins
 * it): an unpinned app would deploy whatever is newest the day a stack is created.
 */
export const ROTATION_APPLICATION = {
  name: "SecretsManagerRDSPostgreSQLRotationMultiUser",
  byPartition: {
    aws: {
      applicationId:
        "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationMultiUser",
      semanticVersion: "1.1.671",
    },
    "aws-cn": {
      applicationId:
        "arn:aws-cn:serverlessrepo:cn-north-1:193023089310:applications/SecretsManagerRDSPostgreSQLRotationMultiUser",
      semanticVersion: "1.1.440",
    },
    "aws-us-gov": {
      applicationId:
        "arn:aws-us-gov:serverlessrepo:us-gov-west-1:023102451235:applications/SecretsManagerRDSPostgreSQLRotationMultiUser",
      semanticVersion: "1.1.383",
    },
  } as Record<string, { applicationId: string; semanticVersion: string }>,
} as const;

/**
 * The environment variable the handlers find the app secret by (handlers/lib/env.ts): every
 * function that connects as the application user gets it from here.
 */
export function appSecretEnvironment(appSecretArn: pulumi.Input<string>): {
  DB_SECRET_ARN: pulumi.Input<string>;
} {
  return { DB_SECRET_ARN: appSecretArn };
}

/**
 * Decrypt with the secrets' key only through Secrets Manager and only for the app secret: the
 * master secret shares the key, and a role reading the app secret must not be able to read it.
 */
export function decryptAppSecretOnly(secret: {
  appSecretArn: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  region: string;
}): PolicyStatement {
  return {
    Sid: "DecryptAppSecretOnly",
    Effect: "Allow",
    Action: ["kms:Decrypt"],
    Resource: secret.kmsKeyArn,
    Condition: {
      StringEquals: {
        "kms:ViaService": `secretsmanager.${secret.region}.amazonaws.com`,
        "kms:EncryptionContext:SecretARN": secret.appSecretArn,
      },
    },
  };
}

/** What a function reading the app secret needs in its role (`LambdaFunctionArgs` fields). */
export interface AppSecretReadAccess {
  /** `secretsmanager:GetSecretValue` on the app secret. */
  readSecretArns: pulumi.Input<string>[];
  /** `decryptAppSecretOnly`: the key, through Secrets Manager only, for this secret only. */
  extraStatements: PolicyStatement[];
}

export interface DatabaseSecretsArgs {
  /** `huntaze-api-<stack>`: prefix of the secret and the rotation function's names. */
  namePrefix: string;
  region: string;
  partition: string;
  /** Customer-managed key of the app secret (the master secret's key too). */
  kmsKeyArn: pulumi.Input<string>;
  /** The RDS-managed master secret the rotation function changes passwords with. */
  masterSecretArn: pulumi.Input<string>;
  /** Where the rotation function runs: the database's private subnets… */
  subnetIds: pulumi.Input<string>[];
  /** …with a group that may reach PostgreSQL and the Secrets Manager and RDS endpoints. */
  securityGroupId: pulumi.Input<string>;
  /** Retention of the rotation function's log group. */
  logRetentionInDays: number;
  /**
   * Customer-managed key encrypting the log groups created here; its key policy must let
   * `logs.<region>.amazonaws.com` use it for log groups.
   */
  logsKmsKeyArn: pulumi.Input<string>;
  /**
   * Days Secrets Manager keeps a deleted secret recoverable (7–30).
   * @default 30
   */
  recoveryWindowInDays?: number;
}

/**
 * The application user's secret and the function that rotates it.
 *
 * - **The secret** is created empty on the customer-managed key. Its first value — the
 *   `{"engine","host","port","dbname","username","password","masterarn"}` JSON the rotation
 *   function expects — is written by the migration function, which also creates the user with a
 *   password it generates. So no password is ever in Pulumi config, state or outputs: a
 *   `SecretVersion` would keep its `secretString` in the state (and `@pulumi/random` is not
 *   available here), and `secretStringWo` still needs a plaintext from somewhere on the
 *   deployer's machine, plus a database user that something must create with master rights.
 * - **The rotation function** is AWS's `SecretsManagerRDSPostgreSQLRotationMultiUser` from the
 *   Serverless Application Repository, pinned, in the VPC. Alternating users: each rotation
 *   re-passwords the user the secret does *not* currently name (`<user>` / `<user>_clone`) and
 *   then flips the secret, so credentials a function holds stay valid until the next rotation.
 *   It changes passwords as the RDS-managed master (`masterSecretArn`).
 *
 * The rotation schedule itself is `SecretRotations`, created once the migration function has
 * given the secret its first value (a rotation of an empty secret fails).
 */
export class DatabaseSecrets extends pulumi.ComponentResource {
  readonly appSecret: Secret;
  readonly appSecretArn: pulumi.Output<string>;
  readonly rotationLogGroup: LogGroup;
  readonly rotationApplication: CloudFormationStack;
  /** Physical name of the rotation function (its log group and error alarm use it). */
  readonly rotationFunctionName: string;
  readonly rotationLambdaArn: pulumi.Output<string>;
  /** The app secret's ARN under the name the handlers read it by (`DB_SECRET_ARN`). */
  readonly environment: { DB_SECRET_ARN: pulumi.Input<string> };
  /** The role statements of a function that reads the app secret, and nothing more. */
  readonly readAccess: AppSecretReadAccess;

  constructor(name: string, args: DatabaseSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:DatabaseSecrets", name, {}, opts);
    const parent = this;

    const application = normalizeApplication();
    this.rotationFunctionName = `${args.namePrefix}-db-rotation`;
    this.appSecret = createAppSecret();
    this.appSecretArn = this.appSecret.arn;
    this.rotationLogGroup = createRotationLogGroup(this.rotationFunctionName);
    this.rotationApplication = createRotationApplication(
      this.rotationFunctionName,
      this.rotationLogGroup,
    );
    this.rotationLambdaArn = this.rotationApplication.outputs.apply((outputs) => {
      const arn = outputs?.RotationLambdaARN;
      if (!arn)
        throw new Error(`${name}: the rotation application has no RotationLambdaARN output`);
      return arn;
    });

    this.environment = appSecretEnvironment(this.appSecretArn);
    this.readAccess = {
      readSecretArns: [this.appSecretArn],
      extraStatements: [
        decryptAppSecretOnly({
          appSecretArn: this.appSecretArn,
          kmsKeyArn: args.kmsKeyArn,
          region: args.region,
        }),
      ],
    };

    this.registerOutputs({
      appSecretArn: this.appSecretArn,
      rotationFunctionName: this.rotationFunctionName,
      rotationLambdaArn: this.rotationLambdaArn,
    });

    function normalizeApplication(): { applicationId: string; semanticVersion: string } {
      const found = ROTATION_APPLICATION.byPartition[args.partition];
      if (!found) {
        throw new Error(
          `${name}: the rotation application is not published in the ${args.partition} partition`,
        );
      }
      if (args.namePrefix.length + "-db-rotation".length > 64) {
        throw new Error(`${name}: the rotation function name would exceed Lambda's 64 characters`);
      }
      return found;
    }

    function createAppSecret(): Secret {
      return new Secret(
        `${name}-app`,
        {
          // Auto-named from the prefix: a replaced secret does not collide with the deleted one
          // whose name Secrets Manager reserves for the recovery window.
          namePrefix: `${args.namePrefix}-db-app-`,
          description: `${args.namePrefix}: PostgreSQL application user (alternating-users rotation; written by the migration function, then by the rotation function)`,
          kmsKeyId: args.kmsKeyArn,
          recoveryWindowInDays: args.recoveryWindowInDays ?? 30,
        },
        { parent },
      );
    }

    function createRotationLogGroup(functionName: string): LogGroup {
      // Created before the application: Lambda would otherwise create it, never expiring.
      return new LogGroup(
        `${name}-rotation-log-group`,
        {
          name: `/aws/lambda/${functionName}`,
          retentionInDays: args.logRetentionInDays,
          kmsKeyId: args.logsKmsKeyArn,
        },
        { parent },
      );
    }

    function createRotationApplication(
      functionName: string,
      logGroup: LogGroup,
    ): CloudFormationStack {
      const dnsSuffix = args.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
      return new CloudFormationStack(
        `${name}-rotation-app`,
        {
          // CloudFormation names the stack `serverlessrepo-<name>`.
          name: functionName,
          applicationId: application.applicationId,
          semanticVersion: application.semanticVersion,
          // The template creates the function's role and its permission for Secrets Manager.
          capabilities: ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"],
          parameters: {
            functionName,
            // Resolves to the VPC endpoint (private DNS).
            endpoint: `https://secretsmanager.${args.region}.${dnsSuffix}`,
            vpcSubnetIds: pulumi.output(args.subnetIds).apply((ids) => ids.join(",")),
            vpcSecurityGroupIds: args.securityGroupId,
            // Lets the function's role use the key of the secret it rotates…
            kmsKeyArn: args.kmsKeyArn,
            // …and read the master secret (and decrypt it) to change passwords.
            masterSecretArn: args.masterSecretArn,
            masterSecretKmsKeyArn: args.kmsKeyArn,
          },
        },
        { parent, dependsOn: [logGroup] },
      );
    }
  }
}
