import * as assert from "node:assert/strict";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import { Secret } from "@pulumi/aws/secretsmanager/secret";
import { SecretRotation } from "@pulumi/aws/secretsmanager/secretRotation";
import {
  lambdaEnvironmentCmk,
  lambdaEnvironmentNoSecrets,
  rdsManagedMasterPassword,
  rdsMasterSecretCmk,
  secretsmanagerSecretCmk,
  secretsmanagerSecretRotation,
} from "../../policies/src/secrets";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNeedsUnknownValue,
  assertNoResourceViolations,
  assertNoStackViolations,
  assertResourceNotApplicable,
  createResourceValidationArgs,
  createStackValidationArgs,
  res,
  runResourcePolicy,
  UNKNOWN,
} from "./helpers";

const CMK = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("#secretsmanager-secret-cmk", () => {
  const policy = secretsmanagerSecretCmk;
  const happy = (props: Record<string, unknown> = {}) =>
    createResourceValidationArgs(Secret, {
      name: "huntaze-api-prod-app-db",
      kmsKeyId: CMK,
      ...props,
    });

  it("passes a secret on a customer-managed key", async () => {
    await assertNoResourceViolations(policy, happy());
  });

  it("fails a secret without kmsKeyId, which AWS encrypts with aws/secretsmanager", async () => {
    await assertHasResourceViolation(policy, happy({ kmsKeyId: undefined }), {
      message:
        "Secrets Manager secret must be encrypted with a customer-managed KMS key (kmsKeyId): the AWS-managed aws/secretsmanager key is used when it is unset.",
    });
  });

  it("fails a secret on the AWS-managed alias, by name or by ARN", async () => {
    await assertHasResourceViolation(policy, happy({ kmsKeyId: "alias/aws/secretsmanager" }), {
      message: "alias/aws/secretsmanager is an AWS-managed key",
    });
    await assertHasResourceViolation(
      policy,
      happy({ kmsKeyId: "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager" }),
      { message: "is an AWS-managed key" },
    );
  });

  it("passes a customer alias", async () => {
    await assertNoResourceViolations(policy, happy({ kmsKeyId: "alias/huntaze-api-prod" }));
  });

  it("passes a key ARN unknown at preview: the output of a key this deploy creates (no resource creates an AWS-managed key)", async () => {
    await assertNoResourceViolations(policy, happy({ kmsKeyId: UNKNOWN }));
  });
});

describe("#rds-master-secret-cmk", () => {
  const policy = rdsMasterSecretCmk;
  const happy = (props: Record<string, unknown> = {}) =>
    createResourceValidationArgs(RdsInstance, {
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: CMK,
      ...props,
    });

  it("passes a managed master secret on a customer-managed key", async () => {
    await assertNoResourceViolations(policy, happy());
  });

  it("passes a masterUserSecretKmsKeyId unknown at preview (a key this deploy creates; no resource creates an AWS-managed key)", async () => {
    await assertNoResourceViolations(policy, happy({ masterUserSecretKmsKeyId: UNKNOWN }));
  });

  it("fails a managed master secret without masterUserSecretKmsKeyId", async () => {
    await assertHasResourceViolation(policy, happy({ masterUserSecretKmsKeyId: undefined }), {
      message:
        "RDS instance must encrypt its managed master secret with a customer-managed KMS key (masterUserSecretKmsKeyId): the AWS-managed aws/secretsmanager key is used when it is unset.",
    });
  });

  it("does not apply when RDS does not manage the master password", async () => {
    await assertResourceNotApplicable(
      policy,
      happy({ manageMasterUserPassword: undefined }),
      /not managed in Secrets Manager/,
    );
  });
});

describe("#secretsmanager-secret-rotation", () => {
  const policy = secretsmanagerSecretRotation;
  const secret = res(Secret, "app-db-secret", { name: "huntaze-api-prod-app-db", arn: UNKNOWN });
  const rotation = (props: Record<string, unknown> = {}, deps = { secretId: [secret] }) =>
    res(
      SecretRotation,
      "app-db-rotation",
      {
        secretId: UNKNOWN,
        rotationLambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:rotator",
        rotationRules: { automaticallyAfterDays: 30 },
        ...props,
      },
      deps,
    );

  it("passes a secret rotated every 30 days, its ARN unknown", async () => {
    await assertNoStackViolations(policy, createStackValidationArgs([secret, rotation()]));
  });

  it("fails a secret without a rotation", async () => {
    await assertHasStackViolation(policy, createStackValidationArgs([secret]), {
      message:
        'Secrets Manager secret "app-db-secret" must have a rotation (aws.secretsmanager.SecretRotation) at most every 30 days.',
      resource: "app-db-secret",
    });
  });

  it("fails a rotation slower than the maximum, and honours a configured maximum", async () => {
    const slow = rotation({ rotationRules: { automaticallyAfterDays: 90 } });
    await assertHasStackViolation(policy, createStackValidationArgs([secret, slow]), {
      message:
        'Secret rotation "app-db-rotation" must rotate at least every 30 days (it allows 90).',
    });
    await assertNoStackViolations(
      policy,
      createStackValidationArgs([secret, slow], { config: { maxRotationDays: 90 } }),
    );
  });

  it("judges schedule expressions by their longest interval", async () => {
    const weekly = rotation({ rotationRules: { scheduleExpression: "rate(7 days)" } });
    await assertNoStackViolations(policy, createStackValidationArgs([secret, weekly]));
    const monthly = rotation({ rotationRules: { scheduleExpression: "cron(0 4 1 * ? *)" } });
    await assertHasStackViolation(policy, createStackValidationArgs([secret, monthly]), {
      message: "(it allows 31)",
    });
  });

  it("fails a disabled rotation", async () => {
    await assertHasStackViolation(
      policy,
      createStackValidationArgs([secret, rotation({ rotationEnabled: false })]),
      {
        message: 'Secret rotation "app-db-rotation" must be enabled (rotationEnabled is false).',
      },
    );
  });

  it("fails a rotation without rules", async () => {
    await assertHasStackViolation(
      policy,
      createStackValidationArgs([secret, rotation({ rotationRules: undefined })]),
      {
        message: "must set rotationRules (automaticallyAfterDays at most 30)",
      },
    );
  });

  it("counts the RDS-managed master secret as rotated, and keeps its rotation enabled", async () => {
    const db = res(RdsInstance, "db", { manageMasterUserPassword: true });
    const managed = res(
      SecretRotation,
      "master-rotation",
      { secretId: UNKNOWN },
      { secretId: [db] },
    );
    await assertNoStackViolations(policy, createStackValidationArgs([db, managed]));
    const off = res(
      SecretRotation,
      "master-rotation",
      { secretId: UNKNOWN, rotationEnabled: false },
      { secretId: [db] },
    );
    await assertHasStackViolation(policy, createStackValidationArgs([db, off]), {
      message: "must keep the RDS-managed rotation enabled",
    });
  });

  it("matches a literal secretId to the secret's name", async () => {
    const literal = rotation({ secretId: "huntaze-api-prod-app-db" }, { secretId: [] });
    await assertNoStackViolations(policy, createStackValidationArgs([secret, literal]));
  });

  it("decides at preview with a literal secretId naming another secret: the unknown ARN cannot be it", async () => {
    const other = rotation({ secretId: "some-other-secret" }, { secretId: [] });
    await assertHasStackViolation(policy, createStackValidationArgs([secret, other]), {
      message: 'Secrets Manager secret "app-db-secret" must have a rotation',
    });
  });

  it("reads rotationEnabled the program left unset (unknown at preview, from no resource) as enabled, and still judges the interval", async () => {
    const unset = rotation({ rotationEnabled: UNKNOWN });
    await assertNoStackViolations(policy, createStackValidationArgs([secret, unset]));
    const slow = rotation({
      rotationEnabled: UNKNOWN,
      rotationRules: { automaticallyAfterDays: 400 },
    });
    await assertHasStackViolation(policy, createStackValidationArgs([secret, slow]), {
      message:
        'Secret rotation "app-db-rotation" must rotate at least every 30 days (it allows 400).',
    });
  });

  it("cannot decide a rotationEnabled built from another resource's output while it is unknown", async () => {
    const source = res(Secret, "flag-source", { name: "x" });
    const fromOutput = res(
      SecretRotation,
      "app-db-rotation",
      {
        secretId: UNKNOWN,
        rotationEnabled: UNKNOWN,
        rotationRules: { automaticallyAfterDays: 30 },
      },
      { secretId: [secret], rotationEnabled: [source] },
    );
    await assertNeedsUnknownValue(policy, createStackValidationArgs([secret, source, fromOutput]));
  });

  it("skips a secret exempted in the config", async () => {
    const args = createStackValidationArgs([secret], {
      config: {
        exemptions: [
          {
            resource: "app-db-secret",
            reason: "holds a vendor API key rotated by hand",
            expires: "2027-06-30",
          },
        ],
      },
    });
    await assertNoStackViolations(policy, args);
  });
});

describe("#lambda-environment-no-secrets", () => {
  const policy = lambdaEnvironmentNoSecrets;
  const happy = (variables: Record<string, unknown> = {}, config?: Record<string, unknown>) =>
    createResourceValidationArgs(
      LambdaFunction,
      {
        environment: {
          variables: {
            STAGE: "prod",
            POWERTOOLS_SERVICE_NAME: "huntaze-api",
            DB_SECRET_ARN:
              "arn:aws:secretsmanager:us-east-1:123456789012:secret:huntaze-api-prod-app-db-AbCdEf",
            ...variables,
          },
        },
      },
      { config },
    );

  it("passes ARNs and plain settings", async () => {
    await assertNoResourceViolations(policy, happy());
  });

  it("fails a variable named like a secret", async () => {
    await assertHasResourceViolation(policy, happy({ DB_PASSWORD: "hunter2" }), {
      message:
        "Lambda function must not pass a secret in environment variable DB_PASSWORD; store it in Secrets Manager and pass its ARN (e.g. DB_PASSWORD_SECRET_ARN).",
    });
    await assertHasResourceViolation(policy, happy({ ACCELERATE_URL: "x" }), {
      message: "environment variable ACCELERATE_URL",
    });
  });

  it("fails a URL with credentials, whatever the variable is called", async () => {
    await assertHasResourceViolation(
      policy,
      happy({ PG: "postgresql://app:s3cret@db.internal:5432/huntaze" }),
      {
        message: "Lambda function must not pass a URL with a password in environment variable PG;",
      },
    );
    await assertHasResourceViolation(
      policy,
      happy({ UPSTREAM: "prisma://accelerate.prisma-data.net/?api_key=eyJabc" }),
      {
        message: "a URL with a credential parameter in environment variable UPSTREAM",
      },
    );
  });

  it("fails an AWS access key id in a value", async () => {
    await assertHasResourceViolation(policy, happy({ AWS_ID: "AKIAIOSFODNN7EXAMPLE" }), {
      message: "an AWS access key id",
    });
  });

  it("accepts a name listed in the config", async () => {
    await assertNoResourceViolations(
      policy,
      happy({ TOKEN_TTL_SECONDS: "300" }, { allowedVariables: ["TOKEN_TTL_SECONDS"] }),
    );
  });

  it("judges a value unknown at preview (built from another resource) by its name only", async () => {
    await assertNoResourceViolations(policy, happy({ DB_SECRET_ARN: UNKNOWN }));
    const outcome = await runResourcePolicy(
      policy,
      happy({ DB_SECRET_ARN: UNKNOWN, DB_PASSWORD: UNKNOWN }),
    );
    assert.equal(outcome.unknownValue, undefined, "decided at preview");
    assert.deepEqual(
      outcome.violations.map((v) => v.message.split(";")[0]),
      ["Lambda function must not pass a secret in environment variable DB_PASSWORD"],
    );
  });
});

describe("#lambda-environment-cmk", () => {
  const policy = lambdaEnvironmentCmk;
  const happy = (props: Record<string, unknown> = {}) =>
    createResourceValidationArgs(LambdaFunction, {
      environment: { variables: { STAGE: "prod" } },
      kmsKeyArn: CMK,
      ...props,
    });

  it("passes variables encrypted with a customer-managed key", async () => {
    await assertNoResourceViolations(policy, happy());
  });

  it("passes a kmsKeyArn unknown at preview (a key this deploy creates; no resource creates an AWS-managed key)", async () => {
    await assertNoResourceViolations(policy, happy({ kmsKeyArn: UNKNOWN }));
  });

  it("fails variables on the default aws/lambda key", async () => {
    await assertHasResourceViolation(policy, happy({ kmsKeyArn: undefined }), {
      message:
        "Lambda function must encrypt its environment variables with a customer-managed KMS key (kmsKeyArn): the AWS-managed aws/lambda key is used when it is unset.",
    });
  });

  it("does not apply to a function without variables", async () => {
    await assertResourceNotApplicable(
      policy,
      happy({ environment: undefined, kmsKeyArn: undefined }),
      /no environment variables/,
    );
  });
});

describe("#rds-managed-master-password", () => {
  const policy = rdsManagedMasterPassword;
  const happy = (props: Record<string, unknown> = {}) =>
    createResourceValidationArgs(RdsInstance, {
      username: "huntaze",
      manageMasterUserPassword: true,
      ...props,
    });

  it("passes an instance whose master password RDS manages", async () => {
    await assertNoResourceViolations(policy, happy());
  });

  it("fails an instance that takes a password input (from Pulumi config or code)", async () => {
    await assertHasResourceViolation(
      policy,
      happy({ manageMasterUserPassword: undefined, password: "from-config" }),
      {
        message:
          "RDS instance must not take a master password input (password); set manageMasterUserPassword: true so RDS keeps it in Secrets Manager and rotates it.",
      },
    );
  });

  it("fails an instance with neither a managed nor a given password", async () => {
    await assertHasResourceViolation(policy, happy({ manageMasterUserPassword: false }), {
      message: "RDS instance must set manageMasterUserPassword: true",
    });
  });

  it("accepts a read replica, which inherits the source's credentials", async () => {
    await assertNoResourceViolations(
      policy,
      happy({ manageMasterUserPassword: undefined, replicateSourceDb: "db-1" }),
    );
  });
});
