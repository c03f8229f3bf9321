import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { STSClient } from "@aws-sdk/client-sts";
import type { XRayClient } from "@aws-sdk/client-xray";

/** The AWS SDK v3 clients the deploy command uses, all bound to the stack's region. */
export interface AwsClients {
  region: string;
  sts: STSClient;
  rds: RDSClient;
  cloudwatch: CloudWatchClient;
  logs: CloudWatchLogsClient;
  sns: SNSClient;
  xray: XRayClient;
  secrets: SecretsManagerClient;
}

export type AwsClientFactory = (region: string) => AwsClients;

/**
 * Builds real clients with the default credential chain (env, profile, SSO, instance role).
 * The SDK modules load only here, so `--help` and a missing Pulumi CLI answer instantly.
 */
export const createAwsClients: AwsClientFactory = (region) => {
  const { STSClient: Sts } = require("@aws-sdk/client-sts") as typeof import("@aws-sdk/client-sts");
  const { RDSClient: Rds } = require("@aws-sdk/client-rds") as typeof import("@aws-sdk/client-rds");
  const { CloudWatchClient: Cw } =
    require("@aws-sdk/client-cloudwatch") as typeof import("@aws-sdk/client-cloudwatch");
  const { CloudWatchLogsClient: Logs } =
    require("@aws-sdk/client-cloudwatch-logs") as typeof import("@aws-sdk/client-cloudwatch-logs");
  const { SNSClient: Sns } = require("@aws-sdk/client-sns") as typeof import("@aws-sdk/client-sns");
  const { XRayClient: Xray } =
    require("@aws-sdk/client-xray") as typeof import("@aws-sdk/client-xray");
  const { SecretsManagerClient: Sm } =
    require("@aws-sdk/client-secrets-manager") as typeof import("@aws-sdk/client-secrets-manager");
  return {
    region,
    sts: new Sts({ region }),
    rds: new Rds({ region }),
    cloudwatch: new Cw({ region }),
    logs: new Logs({ region }),
    sns: new Sns({ region }),
    xray: new Xray({ region }),
    secrets: new Sm({ region }),
  };
};

/**
 * A one-line explanation of an SDK error, with the fix for the common credential failures.
 */
export function describeAwsError(err: unknown): string {
  const e = err as { name?: string; message?: string; Code?: string };
  const name = e?.name ?? e?.Code ?? "Error";
  const message = (e?.message ?? String(err)).split("\n")[0];
  switch (name) {
    case "CredentialsProviderError":
      return `no AWS credentials found (${message}); set AWS_PROFILE, run \`aws sso login --profile <p>\`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`;
    case "ExpiredToken":
    case "ExpiredTokenException":
    case "TokenRefreshRequired":
      return `the AWS session has expired (${name}); refresh it (e.g. \`aws sso login --profile <p>\`) and retry`;
    case "InvalidClientTokenId":
    case "UnrecognizedClientException":
    case "SignatureDoesNotMatch":
      return `the AWS credentials are not valid (${name}: ${message})`;
    case "AccessDenied":
    case "AccessDeniedException":
      return `access denied: ${message}`;
    default:
      return `${name}: ${message}`;
  }
}
