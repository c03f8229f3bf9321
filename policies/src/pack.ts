import type { EnforcementLevel, Policies } from "@pulumi/policy";
import {
  cloudwatchAlarmActions,
  dlqDepthAlarm,
  lambdaErrorAlarm,
  lambdaLatencyAlarm,
  rdsInstanceAlarms,
} from "./alarms";
import { apiMethodAuthorization, apiStageWaf, cognitoUserPoolHardening } from "./api-access";
import { apiExecutionLogging, apiStageXray, apiThrottling } from "./api-stages";
import { lambdaDbConnectionBudget } from "./capacity";
import {
  rdsDeletionProtection,
  rdsForceSsl,
  rdsNoPublicAccess,
  rdsPerformanceInsights,
  rdsStorageEncrypted,
} from "./database";
import {
  rdsAutoMinorVersionUpgrade,
  rdsBackups,
  rdsEnhancedMonitoring,
  rdsIamAuthentication,
  rdsLogExports,
  rdsMultiAz,
  rdsNonDefaultPort,
} from "./database-operations";
import { kmsKeyRotation } from "./kms";
import {
  lambdaAsyncFailureDestination,
  lambdaCodeSigning,
  lambdaConcurrencyLimit,
  lambdaDeadLetterQueue,
  lambdaExplicitLimits,
  lambdaInVpc,
  lambdaNotPublic,
  lambdaRuntimeCurrent,
} from "./lambda";
import { withExemptionNotes } from "./lib/config";
import { cloudwatchLogGroupCmk, cloudwatchLogGroupLongRetention } from "./log-groups";
import {
  apiStageAccessLogging,
  cloudwatchLogGroupRetention,
  lambdaManagedLogGroup,
  rdsLogGroupsManaged,
} from "./logging";
import { alarmTopicCmk, sqsQueueEncryption } from "./messaging";
import { sqsQueueRedrive } from "./queues";
import {
  lambdaEnvironmentCmk,
  lambdaEnvironmentNoSecrets,
  rdsManagedMasterPassword,
  rdsMasterSecretCmk,
  secretsmanagerSecretCmk,
  secretsmanagerSecretRotation,
} from "./secrets";
import { lambdaTracingActive, xraySamplingRule } from "./tracing";

/**
 * The pack as data, shared by `policies/index.ts` (which serves it to the Pulumi CLI) and the
 * offline evaluator in `tools/policy/` (which drives the same analyzer in-process). Nothing
 * here starts a server, so it is safe to import anywhere.
 */
export const packName = "huntaze-api";

/** Every policy blocks the deploy unless it says otherwise (the advisory ones say why). */
export const packEnforcementLevel: EnforcementLevel = "mandatory";

export const packDescription =
  "Blocks huntaze-api deploys that would weaken production: log retention and encryption, alarms with actions, secrets on customer-managed keys and rotated, and one policy for each peer check of Checkov, cdk-nag and AWS Config on this resource mix (docs/POLICIES.md).";

/**
 * In docs/POLICIES.md order: retention, alarms, secrets, further guards. Each honours the
 * exemptions of its policy config and of the resources' own tags (lib/config.ts).
 */
export const policies: Policies = withExemptionNotes([
  cloudwatchLogGroupRetention,
  lambdaManagedLogGroup,
  rdsLogGroupsManaged,
  apiStageAccessLogging,
  cloudwatchAlarmActions,
  lambdaErrorAlarm,
  lambdaLatencyAlarm,
  dlqDepthAlarm,
  rdsInstanceAlarms,
  secretsmanagerSecretCmk,
  rdsMasterSecretCmk,
  secretsmanagerSecretRotation,
  lambdaEnvironmentNoSecrets,
  lambdaEnvironmentCmk,
  rdsManagedMasterPassword,
  alarmTopicCmk,
  sqsQueueEncryption,
  rdsStorageEncrypted,
  rdsNoPublicAccess,
  rdsPerformanceInsights,
  rdsForceSsl,
  rdsDeletionProtection,
  lambdaDbConnectionBudget,
  lambdaTracingActive,
  xraySamplingRule,
  // One per remaining peer check, in the order of the peer-check table (docs/POLICIES.md).
  lambdaDeadLetterQueue,
  lambdaAsyncFailureDestination,
  lambdaConcurrencyLimit,
  lambdaInVpc,
  lambdaCodeSigning,
  lambdaRuntimeCurrent,
  lambdaExplicitLimits,
  lambdaNotPublic,
  cloudwatchLogGroupLongRetention,
  cloudwatchLogGroupCmk,
  sqsQueueRedrive,
  rdsBackups,
  rdsIamAuthentication,
  rdsMultiAz,
  rdsLogExports,
  rdsEnhancedMonitoring,
  rdsAutoMinorVersionUpgrade,
  rdsNonDefaultPort,
  apiStageXray,
  apiExecutionLogging,
  apiThrottling,
  kmsKeyRotation,
  apiMethodAuthorization,
  apiStageWaf,
  cognitoUserPoolHardening,
]);
