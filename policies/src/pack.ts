import type { EnforcementLevel, Policies } from "@pulumi/policy";
import {
  cloudwatchAlarmActions,
  dlqDepthAlarm,
  lambdaErrorAlarm,
  lambdaLatencyAlarm,
  rdsInstanceAlarms,
} from "./alarms";
import { apiMethodAuthorization, apiStageWaf, cognitoUserPoolHardening } from "./api-access";
import {
  rdsDeletionProtection,
  rdsForceSsl,
  rdsNoPublicAccess,
  rdsPerformanceInsights,
  rdsStorageEncrypted,
} from "./database";
import {
  apiStageAccessLogging,
  cloudwatchLogGroupRetention,
  lambdaManagedLogGroup,
  rdsLogGroupsManaged,
} from "./logging";
import { alarmTopicCmk, sqsQueueEncryption } from "./messaging";
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

/** Every policy blocks the deploy unless it says otherwise (only the sampling rule does). */
export const packEnforcementLevel: EnforcementLevel = "mandatory";

export const packDescription =
  "Blocks huntaze-api deploys that would weaken production: log retention, alarms with actions, secrets on customer-managed keys and rotated, and the further AWS guards of issue 3.";

/** In README order: retention, alarms, secrets, further guards. */
export const policies: Policies = [
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
  lambdaTracingActive,
  xraySamplingRule,
  apiMethodAuthorization,
  apiStageWaf,
  cognitoUserPoolHardening,
];
