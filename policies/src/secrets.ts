import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import { Secret } from "@pulumi/aws/secretsmanager/secret";
import { SecretRotation } from "@pulumi/aws/secretsmanager/secretRotation";
import type {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { isAwsManagedKey, isCustomerManagedKey, scheduleMaxIntervalDays } from "./lib/aws";
import {
  configOf,
  type ExemptionConfig,
  notExempt,
  schema,
  validateUnlessExempt,
} from "./lib/config";
import { knownOrUndefined, outputOrAwsDefault, readKnown, UNKNOWN_AT_PREVIEW } from "./lib/known";
import { isSecretName, secretValueKind } from "./lib/secret-names";
import { dependenciesVia, indexReferences, label, ofType } from "./lib/stack";

/** What is wrong with a key reference; a reference unknown at preview is a key this deploy creates. */
function keyProblem(keyId: unknown, awsKey: string): string | undefined {
  if (keyId === UNKNOWN_AT_PREVIEW) return undefined;
  if (typeof keyId !== "string" || keyId === "")
    return `the AWS-managed ${awsKey} key is used when it is unset`;
  if (isAwsManagedKey(keyId)) return `${keyId} is an AWS-managed key`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------

const secretCmkSchema = schema({});

/** @internal */
export const secretsmanagerSecretCmk: ResourceValidationPolicy = {
  name: "secretsmanager-secret-cmk",
  description:
    "Secrets Manager secrets must be encrypted with a customer-managed KMS key, not the AWS-managed aws/secretsmanager key (mirrors Checkov CKV_AWS_149, cdk-nag SecretsManagerUsingKMSKey and AWS Config secretsmanager-using-cmk).",
  configSchema: secretCmkSchema,
  validateResource: validateUnlessExempt(Secret, secretCmkSchema, (secret, _args, report) => {
    const problem = keyProblem(
      readKnown(() => secret.kmsKeyId),
      "aws/secretsmanager",
    );
    if (problem) {
      report(
        `Secrets Manager secret must be encrypted with a customer-managed KMS key (kmsKeyId): ${problem}.`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

const masterSecretCmkSchema = schema({});

/** @internal */
export const rdsMasterSecretCmk: ResourceValidationPolicy = {
  name: "rds-master-secret-cmk",
  description:
    "An RDS instance whose master password is managed in Secrets Manager must encrypt that secret with a customer-managed key (masterUserSecretKmsKeyId), as Checkov CKV_AWS_149 and AWS Config secretsmanager-using-cmk require of any secret.",
  configSchema: masterSecretCmkSchema,
  validateResource: validateUnlessExempt(RdsInstance, masterSecretCmkSchema, (db, args, report) => {
    if (db.manageMasterUserPassword !== true) {
      args.notApplicable("the master password is not managed in Secrets Manager");
    }
    const problem = keyProblem(
      readKnown(() => db.masterUserSecretKmsKeyId),
      "aws/secretsmanager",
    );
    if (problem) {
      report(
        `RDS instance must encrypt its managed master secret with a customer-managed KMS key (masterUserSecretKmsKeyId): ${problem}.`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

export interface SecretRotationConfig extends ExemptionConfig {
  maxRotationDays: number;
}

const secretRotationSchema = schema({
  maxRotationDays: {
    type: "integer",
    minimum: 1,
    maximum: 1000,
    default: 30,
    description:
      "Longest accepted interval between rotations, in days (Checkov CKV_AWS_304 uses 90).",
  },
});

/** RDS rotates a managed master secret every 7 days unless a SecretRotation says otherwise. */
const RDS_MANAGED_ROTATION_DAYS = 7;

function rotationProblems(
  rotation: PolicyResource,
  maxDays: number,
  managedByRds: boolean,
): string[] {
  // Unset, the provider reports rotation enabled (AWS enables it with the rotation's rules).
  if (outputOrAwsDefault<boolean>(rotation, "rotationEnabled", true) === false) {
    return [
      managedByRds
        ? "must keep the RDS-managed rotation enabled (rotationEnabled is false)"
        : "must be enabled (rotationEnabled is false)",
    ];
  }
  const rules = rotation.props.rotationRules as
    | { automaticallyAfterDays?: number; scheduleExpression?: string }
    | undefined;
  let days: number | undefined;
  if (rules?.automaticallyAfterDays !== undefined) days = rules.automaticallyAfterDays;
  else if (rules?.scheduleExpression !== undefined) {
    days = scheduleMaxIntervalDays(rules.scheduleExpression);
    if (days === undefined) {
      return [
        `must use a rate() or cron() schedule (scheduleExpression is "${rules.scheduleExpression}")`,
      ];
    }
  } else if (managedByRds) days = RDS_MANAGED_ROTATION_DAYS;
  else return [`must set rotationRules (automaticallyAfterDays at most ${maxDays})`];
  return days > maxDays ? [`must rotate at least every ${maxDays} days (it allows ${days})`] : [];
}

/** @internal */
export const secretsmanagerSecretRotation: StackValidationPolicy = {
  name: "secretsmanager-secret-rotation",
  description:
    "Every Secrets Manager secret must be rotated at most every N days by an enabled rotation, RDS-managed master secrets counting as rotated (mirrors Checkov CKV2_AWS_57 and CKV_AWS_304, cdk-nag AwsSolutions-SMG4 and AWS Config secretsmanager-rotation-enabled-check).",
  configSchema: secretRotationSchema,
  validateStack: (args, report) => {
    const { maxRotationDays } = configOf<SecretRotationConfig>(secretRotationSchema, args);
    const secrets = ofType(args.resources, Secret);
    const rotations = ofType(args.resources, SecretRotation);
    if (secrets.length === 0 && rotations.length === 0) args.notApplicable("no secrets");

    for (const rotation of rotations) {
      // A rotation of `db.masterUserSecrets[0].secretArn` depends on the instance, not a Secret.
      const managedByRds = dependenciesVia(rotation, ["secretId"]).some((d) =>
        d.isType(RdsInstance),
      );
      for (const problem of rotationProblems(rotation, maxRotationDays, managedByRds)) {
        report(`${label("Secret rotation", rotation)} ${problem}.`, rotation.urn);
      }
    }

    // A secret's ARN ends in 6 characters AWS picks on create: no literal written before the
    // secret exists can be it, so an unknown ARN (or name) matches nothing.
    const secretsOf = indexReferences(secrets, (secret) => [
      knownOrUndefined(() => secret.props.name),
      knownOrUndefined(() => secret.props.arn),
    ]);
    const rotated = new Set(
      rotations.flatMap((rotation) =>
        secretsOf(rotation, ["secretId"], () =>
          [rotation.props.secretId].filter((v): v is string => typeof v === "string"),
        ).map((s) => s.urn),
      ),
    );
    for (const secret of notExempt(secrets, secretRotationSchema, args)) {
      if (!rotated.has(secret.urn)) {
        report(
          `${label("Secrets Manager secret", secret)} must have a rotation (aws.secretsmanager.SecretRotation) at most every ${maxRotationDays} days.`,
          secret.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------

export interface LambdaEnvironmentSecretsConfig extends ExemptionConfig {
  allowedVariables: string[];
}

const envSecretsSchema = schema({
  allowedVariables: {
    type: "array",
    items: { type: "string" },
    default: [],
    description: "Variable names accepted although their name looks like a secret.",
  },
});

/** @internal */
export const lambdaEnvironmentNoSecrets: ResourceValidationPolicy = {
  name: "lambda-environment-no-secrets",
  description:
    "Lambda environment variables must not hold secret values (passwords, tokens, URLs with credentials); functions read them from Secrets Manager by ARN (mirrors Checkov CKV_AWS_45).",
  configSchema: envSecretsSchema,
  validateResource: validateUnlessExempt(LambdaFunction, envSecretsSchema, (fn, args, report) => {
    const { allowedVariables } = configOf<LambdaEnvironmentSecretsConfig>(envSecretsSchema, args);
    const variables = (fn.environment?.variables ?? {}) as Record<string, string>;
    // Names first: they are always known, values may not be until the update.
    const names = Object.keys(variables).filter((n) => !allowedVariables.includes(n));
    for (const name of names) {
      if (isSecretName(name)) {
        report(
          `Lambda function must not pass a secret in environment variable ${name}; store it in Secrets Manager and pass its ARN (e.g. ${name}_SECRET_ARN).`,
        );
      }
    }
    for (const name of names) {
      // A value unknown at preview is built from another resource's output, not written in the
      // program: the name above is what can be judged before the deploy.
      const kind = secretValueKind(knownOrUndefined(() => variables[name]));
      if (kind) {
        report(
          `Lambda function must not pass ${kind} in environment variable ${name}; store it in Secrets Manager and pass its ARN.`,
        );
      }
    }
  }),
};

// ---------------------------------------------------------------------------------------------

const envCmkSchema = schema({});

/** @internal */
export const lambdaEnvironmentCmk: ResourceValidationPolicy = {
  name: "lambda-environment-cmk",
  description:
    "Lambda functions with environment variables must encrypt them with a customer-managed KMS key (kmsKeyArn), not the AWS-managed aws/lambda key (mirrors Checkov CKV_AWS_173).",
  configSchema: envCmkSchema,
  validateResource: validateUnlessExempt(LambdaFunction, envCmkSchema, (fn, args, report) => {
    if (Object.keys(fn.environment?.variables ?? {}).length === 0) {
      args.notApplicable("the function has no environment variables");
    }
    const key = readKnown(() => fn.kmsKeyArn);
    if (!isCustomerManagedKey(key)) {
      report(
        `Lambda function must encrypt its environment variables with a customer-managed KMS key (kmsKeyArn): ${keyProblem(key, "aws/lambda")}.`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

const managedPasswordSchema = schema({});

/** @internal */
export const rdsManagedMasterPassword: ResourceValidationPolicy = {
  name: "rds-managed-master-password",
  description:
    "RDS instances must let RDS generate and rotate the master password in Secrets Manager (manageMasterUserPassword), never take it as a password input from Pulumi config or code, where it sits in the stack file and state (complements Checkov CKV_AWS_45 and CKV2_AWS_57).",
  configSchema: managedPasswordSchema,
  validateResource: validateUnlessExempt(
    RdsInstance,
    managedPasswordSchema,
    (db, _args, report) => {
      if (db.password !== undefined || db.passwordWo !== undefined) {
        report(
          "RDS instance must not take a master password input (password); set manageMasterUserPassword: true so RDS keeps it in Secrets Manager and rotates it.",
        );
      } else if (
        db.manageMasterUserPassword !== true &&
        db.replicateSourceDb === undefined &&
        db.snapshotIdentifier === undefined
      ) {
        report(
          "RDS instance must set manageMasterUserPassword: true so RDS keeps the master password in Secrets Manager.",
        );
      }
    },
  ),
};
